package demo

// The phrase pools of the scripted patterns (patterns.go), written for the
// demo like the rest (phrases.go). A grooming line is meant to be one move
// of a conversation: most are harmless alone, and none is sexual.

// groomStage is a step of a grooming conversation; the stages of one
// conversation are sent in this order.
type groomStage int

const (
	stageRapport groomStage = iota
	stageAge
	stageSchool
	stageFlattery
	stageGift
	stageSecrecy
	stagePhoto
	stagePlatform
	stageMeeting
)

// groomLines are the adult's lines, by stage.
var groomLines = []lines{
	stageRapport: {
		ko: []string{
			"안녕! 아까 청소년 라운지에서 봤는데 아바타 꾸민 거 진짜 멋지더라",
			"너도 그 게임 해? 나도 완전 좋아하는데 같이 할래?",
			"요즘 고민 있으면 나한테 얘기해도 돼, 난 어른들이랑 달라",
			"오늘 하루 어땠어? 아까 좀 기분 안 좋아 보이던데",
			"아까 퀴즈 이벤트 1등 너지? 대단하다 ㅎㅎ",
			"축제 무대에서 봤어 춤 진짜 잘 추더라",
		},
		en: []string{
			"hey! saw you in the youth lounge, your avatar looks so cool",
			"you play that game too? it's my favourite, want to team up?",
			"you can always talk to me if something's bothering you",
			"how was your day? you seemed a bit down earlier",
			"you won the quiz event, right? that was impressive",
		},
	},
	stageAge: {
		ko: []string{
			"근데 너 몇 살이야?",
			"몇 학년이야? 중학생이지?",
			"몇 년생이야? 말투 보니까 어른스러워서",
			"혹시 나이 물어봐도 돼?",
		},
		en: []string{
			"how old are you btw?",
			"what grade are you in?",
			"you're in middle school, right?",
			"mind if I ask how old you are?",
		},
	},
	stageSchool: {
		ko: []string{
			"학교는 어디 다녀? {district} 쪽이야?",
			"학교 끝나면 보통 몇 시에 집에 와?",
			"집에 부모님 늦게 들어오셔?",
			"학원은 어디 다녀? 끝나고 혼자 가?",
		},
		en: []string{
			"which school do you go to?",
			"what time do you usually get home from school?",
			"are your parents home late most days?",
			"do you walk home alone after class?",
		},
	},
	stageFlattery: {
		ko: []string{
			"넌 나이에 비해 진짜 성숙하다",
			"프로필 사진 보니까 진짜 예쁘게 생겼더라",
			"넌 또래 애들이랑 달라 생각이 깊어",
			"너랑 얘기하면 시간 가는 줄 모르겠어, 너 진짜 특별해",
		},
		en: []string{
			"you're really mature for your age",
			"you look so pretty in your profile picture",
			"you're not like other kids your age",
			"talking to you is the best part of my day, you're special",
		},
	},
	stageGift: {
		ko: []string{
			"게임 머니 충전해 줄까? 필요한 만큼만 말해",
			"문화상품권 보내줄게 받고 싶은 거 있어?",
			"갖고 싶은 아바타 스킨 있으면 내가 사줄게",
			"{item} 갖고 싶다고 했지? 내가 선물해 줄게",
		},
		en: []string{
			"want me to top up your game coins?",
			"I can send you a gift card, which one do you want?",
			"I'll buy you that avatar skin you wanted",
			"you said you wanted {item}, I'll get them for you",
		},
	},
	stageSecrecy: {
		ko: []string{
			"우리 얘기한 거 부모님한테는 말하지 마",
			"이건 우리 둘만의 비밀이야 알았지?",
			"선생님들은 이해 못 하니까 말하지 말자",
			"친구들한테도 나랑 얘기하는 거 비밀로 해줘",
		},
		en: []string{
			"don't tell your parents we talk, ok?",
			"this is just between us, promise?",
			"teachers wouldn't understand, let's keep it secret",
			"don't tell your friends about me either",
		},
	},
	stagePhoto: {
		ko: []string{
			"너 사진 한 장만 보내줄래?",
			"요즘 모습 궁금하다 셀카 하나만 보내줘",
			"사진 서로 바꿔 보자 너 먼저",
			"얼굴 보고 싶어 사진 보내주면 안 돼?",
		},
		en: []string{
			"can you send me a photo of you?",
			"send me a selfie? I want to see what you look like",
			"let's swap pics, you first",
			"I'd love to see your face, send a picture?",
		},
	},
	stagePlatform: {
		ko: []string{
			"여기는 다 보니까 카톡으로 얘기하자",
			"텔레그램 있어? 아이디 알려줘",
			"디엠 말고 다른 앱에서 얘기하자 거기가 편해",
			"내 아이디 추가해 줘, 거기서는 아무도 안 봐",
		},
		en: []string{
			"this app is too public, do you have telegram?",
			"add me on another app, it's easier to talk there",
			"what's your kakao id? let's move there",
			"let's talk somewhere the mods can't see",
		},
	},
	stageMeeting: {
		ko: []string{
			"이번 주말에 만나서 맛있는 거 먹자 내가 살게",
			"학교 끝나고 잠깐 볼 수 있어? 데리러 갈게",
			"토요일 {time}에 역 앞에서 볼래?",
			"직접 만나면 선물 줄게 부모님한테는 친구 만난다고 해",
		},
		en: []string{
			"let's meet this weekend, I'll buy you lunch",
			"can I pick you up after school?",
			"meet me at the station on Saturday at {time}?",
			"I'll give you the gift in person, tell your parents you're seeing a friend",
		},
	},
}

// groomReplies are the minor's benign answers, by the stage they answer.
var groomReplies = []lines{
	stageRapport: {
		ko: []string{"아 감사합니다 ㅎㅎ", "네 저도 그 게임 해요!", "그냥 그랬어요", "누구세요?"},
		en: []string{"oh thanks lol", "yeah I play it too!", "it was ok I guess", "who are you?"},
	},
	stageAge: {
		ko: []string{"중2요", "14살이요", "초6이에요", "중1이요 ㅎㅎ"},
		en: []string{"I'm 13", "8th grade", "I'm in 7th grade", "14, why?"},
	},
	stageSchool: {
		ko: []string{"그건 좀...", "학교 끝나면 다섯 시쯤요", "네 엄마 아빠 늦게 와요", "학원 끝나고 버스 타요"},
		en: []string{"I'd rather not say", "around 4 usually", "yeah they work late", "I take the bus"},
	},
	stageFlattery: {
		ko: []string{"ㅎㅎ 아니에요", "헐 감사해요", "진짜요?"},
		en: []string{"haha no", "thanks!", "really?"},
	},
	stageGift: {
		ko: []string{"헐 진짜요?", "괜찮아요 ㅎㅎ", "와 대박"},
		en: []string{"wait really?", "it's ok, you don't have to", "omg thanks"},
	},
	stageSecrecy: {
		ko: []string{"네 알겠어요", "왜요?", "음.. 네"},
		en: []string{"ok", "why?", "um ok"},
	},
	stagePhoto: {
		ko: []string{"음... 지금은 좀", "왜요?", "나중에요"},
		en: []string{"um not right now", "why?", "maybe later"},
	},
	stagePlatform: {
		ko: []string{"아이디 뭐예요?", "그 앱 없어요", "엄마가 폰 검사해요"},
		en: []string{"what's your id?", "I don't have that app", "my mom checks my phone"},
	},
	stageMeeting: {
		ko: []string{"음 엄마한테 물어봐야 해요", "어디서요?", "잘 모르겠어요"},
		en: []string{"I have to ask my mom", "where?", "I don't know..."},
	},
}

// waveTemplates are spam waves' texts. Each [a|b] is chosen afresh for
// every post; {item} is the wave's, {n} every post's own, {link} the
// wave's domain with a path of the post's.
var waveTemplates = lines{
	ko: []string{
		"{item} [무료|공짜] [증정|나눔] 이벤트! 선착순 {n}명 [▶|>>|👉] {link}",
		"[오늘만|지금만|딱 하루] {item} [90%|95%|99%] 할인 [진행 중|진행중] {link} [서두르세요|놓치지 마세요]",
		"메타버스 시청 [방문자|이용자] [감사|축하] 이벤트 당첨! [아래|이] 링크에서 [수령|확인]하세요 {link}",
		"[부업|재택 부업]으로 하루 {n}만원 [가능|보장] [자세한 건|문의는] {link}",
		"[선착순|한정] {n}명 {item} 드려요 [지금|바로] 신청 {link}",
	},
	en: []string{
		"[FREE|Free] {item} for the first {n} [visitors|players]! [claim|grab] yours at {link}",
		"[Congrats|Congratulations], you [won|were picked in] the city hall [giveaway|raffle]! [claim|collect] it at {link}",
		"[limited offer|today only]: {item} at [90%|95%] off {link} [hurry|don't miss out]",
		"[earn|make] ${n} a day from home, [details|info] at {link}",
	},
}

var (
	// waveHosts name the domains of spam waves, all under the reserved
	// .example top-level domain.
	waveHosts = []string{"promo-deal", "gift-event", "skin-drop", "coin-bonus", "lucky-box", "city-reward"}
	wavePaths = []string{"event", "claim", "go", "gift?c=7", "join", "free", "win"}
	waveEmoji = []string{"🔥", "🎁", "✨", "💰", "‼️", "🎉"}
)

// pileOnLines are insults and jeers at one person, mild to moderate.
// {swearnoun} is a Korean swear word, typed as users type it.
var pileOnLines = lines{
	ko: []string{
		"너 때문에 분위기 다 망쳤어 나가",
		"여기 아무도 너 안 좋아해 ㅋㅋ",
		"계정 삭제하고 꺼져라",
		"또 왔네 관종 ㅋㅋㅋ",
		"말하는 거 진짜 한심하다",
		"{swearnoun} 같은 게 어디서 까불어",
		"다들 얘 신고 좀 해 주세요 ㅋㅋ",
		"니 말은 들을 가치도 없음 입 닫아",
		"찐따 주제에 나대지 마",
		"진짜 멍청한 소리 좀 그만해",
		"수준 떨어져서 말 섞기 싫다",
		"ㅋㅋㅋ 얘 또 혼자 잘난 척하네 꺼져",
	},
	en: []string{
		"nobody wants you here",
		"log off and never come back",
		"everyone report this clown lol",
		"you're so cringe, just stop",
		"imagine being this pathetic",
		"look who's back, the village idiot",
		"shut up, nobody asked",
		"get lost, loser",
		"every time you talk this place gets dumber",
		"lmao you're such a joke",
	},
}

// floodLines are what flooders send over and over; floodEndings what they
// put after it to get past a filter of exact repeats.
var (
	floodLines = lines{
		ko: []string{
			"ㅋㅋㅋㅋㅋㅋ", "시장님 언제 와요", "대답 좀 해주세요", "나 좀 봐줘", "아 빨리 시작해라",
			"여기요", "관리자 나와", "렉 걸림", "ㅎㅇㅎㅇ", "이벤트 언제 해요", "심심하다",
		},
		en: []string{
			"hello??", "anyone here", "when does it start", "admin pls", "lol", "first", "look at me", "answer me",
		},
	}
	floodEndings = lines{
		ko: []string{"!", "!!", "??", " ㅋㅋ", "ㅠㅠ", "~", " 😂", "..."},
		en: []string{"!", "!!", "??", " lol", " 😂", "...", "?!"},
	}
)

// announcements are the city's notices, posted as they are in many spaces.
var announcements = lines{
	ko: []string{
		"🏮 서울 빛초롱 축제가 {date} 개막합니다! 공연 일정과 오시는 길은 https://www.seoul.go.kr/festival 에서 확인하세요",
		"[공지] 한강 불꽃 축제 {date} {time} 시작, 셔틀버스 안내는 https://www.seoul.go.kr/news/fireworks 참고해 주세요",
		"[안내] 시민 타운홀 미팅 사전 질문을 받습니다: https://www.seoul.go.kr/townhall",
		"🎉 메타버스 시청 개장 기념 스탬프 투어 진행 중! 참여 방법 https://www.seoul.go.kr/metaverse/event",
	},
	en: []string{
		"🏮 The Seoul Lantern Festival opens on {date}! Programme and directions: https://www.seoul.go.kr/festival",
		"[Notice] Han River fireworks start {date} at {time}, shuttle buses: https://www.seoul.go.kr/news/fireworks",
		"Send your questions for the mayor's town hall ahead of time: https://www.seoul.go.kr/townhall",
	},
}

// officialLinks are staff sharing a page of the city's site.
var officialLinks = lines{
	ko: []string{
		"청소년 장학금 신청은 https://www.seoul.go.kr/youth/scholarship 에서 하실 수 있어요",
		"채용 공고 전문은 https://www.seoul.go.kr/jobs 에 올라와 있습니다",
		"전세 피해 지원 안내는 https://www.seoul.go.kr/housing 에서 확인하세요",
		"진로 체험 프로그램 신청 링크예요 https://www.seoul.go.kr/youth/career",
		"민원 처리 현황은 https://www.seoul.go.kr/minwon 에서 조회됩니다",
		"도서관 행사 일정 https://www.seoul.go.kr/library 에 정리해 뒀어요",
	},
	en: []string{
		"Scholarship applications are open at https://www.seoul.go.kr/youth/scholarship",
		"The full job listings are at https://www.seoul.go.kr/jobs",
		"You can track your complaint at https://www.seoul.go.kr/minwon",
		"Festival schedule and maps: https://www.seoul.go.kr/festival",
	},
}

// Youth counselling: the counsellor asks, the student answers.
var (
	counsellorAsks = lines{
		ko: []string{
			"안녕하세요, 상담 신청 확인했어요. 몇 학년이에요?",
			"반가워요! 진로 상담 도와줄게요, 지금 몇 학년이에요?",
			"상담 선생님이에요. 편하게 얘기해요, 몇 학년이에요?",
		},
		en: []string{
			"Hi, I got your counselling request. What grade are you in?",
			"Nice to meet you! Before we start, what grade are you in?",
		},
	}
	gradeAnswers = lines{
		ko: []string{"중학교 2학년이에요", "고1이요", "초6이요", "중3이에요"},
		en: []string{"8th grade", "I'm in 10th grade", "7th grade", "9th"},
	}
	counsellorFollowUps = lines{
		ko: []string{
			"원하면 학교 상담실과 연계해 줄 수 있어요. 다니는 학교 알려줄래요? 말하기 싫으면 괜찮아요",
			"다음 상담은 {date} {time} 어때요? 여기 상담실에서 다시 만나요",
			"진로 프로그램 안내는 https://www.seoul.go.kr/youth/career 에 있어요, 부모님과 같이 봐요",
		},
		en: []string{
			"If you like, I can connect you with your school's counsellor. Which school are you at? You don't have to say.",
			"How about our next session on {date} at {time}, here in the counselling room?",
			"The career programme details are at https://www.seoul.go.kr/youth/career, have a look with your parents",
		},
	}
	minorThanks = lines{
		ko: []string{"네 좋아요", "감사합니다!", "엄마랑 같이 볼게요"},
		en: []string{"ok, thank you", "sounds good", "thanks!"},
	}
)

// Minors asking each other's age.
var (
	minorAgeQuestions = lines{
		ko: []string{"너 몇 살이야?", "몇 학년이야? 난 중1", "너도 중학생이야?", "혹시 몇 년생이야?"},
		en: []string{"how old are you?", "what grade are you in? I'm in 7th", "are you in middle school too?"},
	}
	minorAgeAnswers = lines{
		ko: []string{"나 14살! 너는?", "중2야 ㅎㅎ", "초6인데 ㅋㅋ", "고1이야"},
		en: []string{"13, you?", "8th grade lol", "I'm 14!"},
	}
	minorAgeReplies = lines{
		ko: []string{"오 그렇구나 ㅋㅋ", "우리 친구하자", "같이 공부방 가자"},
		en: []string{"oh cool", "nice, wanna be friends?", "wanna join the study room?"},
	}
)

// thanksLines follow a mention of someone who said something helpful.
var thanksLines = lines{
	ko: []string{"감사합니다!", "오 좋은 정보 감사해요", "ㅋㅋㅋ 맞아요", "저도 같은 생각이에요", "덕분에 찾았어요", "좋은 하루 보내세요~"},
	en: []string{"thanks!", "good point", "haha same", "thanks for the tip", "that helped, cheers"},
}

// smallTalk is said a few times without being a flood.
var smallTalk = lines{
	ko: []string{"ㅋㅋㅋ", "ㅋㅋㅋㅋ", "좋은 아침이에요", "안녕하세요~", "ㅎㅎ"},
	en: []string{"good morning", "lol", "hi all", "haha"},
}

// newcomerLines are a new account's first words.
var newcomerLines = lines{
	ko: []string{
		"안녕하세요 오늘 가입했어요!",
		"처음 와봤는데 민원 신청은 https://www.seoul.go.kr 에서 하면 되나요?",
		"오늘 가입한 뉴비입니다 잘 부탁드려요",
		"가입하자마자 길 잃었어요 ㅋㅋ 광장이 어디예요?",
	},
	en: []string{
		"Hi, just joined today!",
		"New here. Is https://www.seoul.go.kr the right place to book the cable car?",
		"first day here, how do I get to the plaza?",
	},
}
