package grooming

import "github.com/haechi-tns/haechi/engine"

// The patterns, by cue; pattern.go describes how they are written. They
// were written for this project after the stages of grooming that
// child-safety guidance describes (finding out who the child is, trust
// through flattery and gifts, a private channel, secrecy, a meeting), then
// tried against ordinary Korean and English text (README.md): every
// pattern is there because a line like it should carry the cue, and most
// of the care is in what they leave out.
//
// The general trade-offs, each cue noting its own:
//   - The request, not the topic. "사진" (photo), "학교" (school), "선물"
//     (gift) and "번호" (number) alone are everyday words; a cue needs
//     what is asked or offered ("사진 보내줘", "선물 사줄게"), and what
//     reports or comments ("사진 잘 나왔다", "선물 받았어") has none.
//   - The text has no punctuation after normalisation, so a question and
//     a statement read alike ("초딩이야?" and "걔 초딩이야"); weak cues
//     take both.
//   - Korean short verb endings (와, 해, 고, ㄱ) must end their word, or
//     they would match the start of another (와이파이, 해서).
//   - In a metaverse, "만나자" or "come to my place" may mean a place in
//     the world. The text cannot tell, and the cue is reported anyway: the
//     policy weighs it with the rest of the conversation.
//   - Negation is handled where it is common ("안 예뻐", "not pretty") by
//     allow patterns, which cancel the matches inside them.

// Groups used by several cues.
const (
	// koApps are messengers and social networks as Korean chat writes
	// them. 라인 and 텔레 start their word, or 온라인 and 텔레비전 would count.
	koApps = "{<카톡|<카카오톡|<까톡|<카똑|<칵톡|<카카오|<ㅋㅌ|<라인|<인스타|<인스타그램|<인별|<디코|<디스코드|<텔레|<텔레그램|<텔그|<스냅|<스냅챗|<페메|<페북|<페이스북|<틱톡|<위챗|<왓츠앱|<스카이프|<트위터|kakao|kakaotalk|insta|instagram|discord|telegram|snapchat|snap|line}"
	// enApps are the same in English. "line" (a word), "sc" and "ig" ("I
	// guess") are left out where a bare name would stand for the app.
	enApps = "{snap|snapchat|discord|kik|telegram|whatsapp|whats app|insta|instagram|wechat|skype|tiktok|kakao|kakaotalk|kakao talk|line app|facebook|messenger|signal app|imessage|twitter}"
	// enHandles are what one asks for to be contacted on.
	enHandles = "{number|phone number|phone no|phone|cell|cell number|cellphone number|digits|email|e mail|email address|socials|contact|contact info|snap|snapchat|sc|insta|instagram|ig|discord|kik|whatsapp|telegram|tele|line id|wechat|skype|tiktok|facebook|fb|kakao|kakaotalk|kakao id|signal}"
	// koYou are ways to address the recipient, whole words so that 너무
	// ("very") is not 너 ("you").
	koYou = "{<너>|<넌|<너는|<너가|<너도|<니가|<네가|<니>|<니는|<당신|<자기>|<자기야|<자기는|<님>|<님은|<님도|<너 진짜|<너 정말|<너 완전|<너 엄청|<너 되게|<너 넘|<너 너무|<너 겁나|<너 존나|<너 왤케|<너 왜케|<너 왜 이렇게|<너 참|<너 좀|<너 은근|<니 진짜|<넌 진짜}"
	// koLooks are praise of looks or maturity.
	koLooks = "{예쁘|예뻐|이쁘|이뻐|예쁜|이쁜|예쁨|이쁨|귀엽|귀여|귀욤|귀염|잘생|존예|존잘|섹시|성숙|어른스럽|어른스러|어른 같|어른같|몸매 좋|몸매가 좋|몸매 죽|피부 좋|피부가 좋|인형 같|인형같|천사 같|천사같|아름답|아름다워|여신|매력 있|매력있|매력적|사랑스럽|사랑스러|핫하|hot|sexy|cute|pretty}"
	// enLooks are the same in English; "fine", "perfect" and "special" say
	// too much else.
	enLooks = "{pretty|beautiful|cute|hot|sexy|gorgeous|stunning|mature|attractive|handsome|adorable|lovely|cutie|a cutie|a beauty|grown up|grownup|so grown up}"
	// koPeople are those a groomer wants kept out, with the particle "to".
	koPeople = "{부모님|엄마|아빠|엄빠|부모|선생님|선생님들|쌤|쌤들|샘|담임|친구|친구들|아무|누구|가족|언니|오빠|형|누나|동생|어른|어른들|경찰|학교}{한테|한테는|한테도|한텐|께|께는|께도|에게|에게는|에게도|에겐|에|에는|에도}"
	// enPeople are the same in English.
	enPeople = "{parents|parent|mom|mum|mommy|mummy|mama|dad|daddy|mother|father|teacher|teachers|friends|anyone|anybody|family|sister|brother|police|cops|folks|no one|nobody|adults|grownups|grown ups|counselor|counsellor}"
	// enYouAre are ways to say "you are" and "you look" ("your" is the
	// common misspelling; "your so" is, "your dog" is not).
	enYouAre = "{youre|you are|u r|u are|ure|ur|your so|your very|your really|your such a|your such|u so|you so|you look|u look|you looked|ur looking|youre looking|you are looking|you seem|u seem|you sound}"
	// enIWill are the ways to say "I will" in chat ("i'll" normalises to
	// "i ll", read as "ill").
	enIWill = "{ill|i will|i can|i could|let me|lemme|i wanna|i want to|id|i would|imma|im gonna|i am gonna|im going to|i am going to}"
)

func rules() []ruleSource {
	var out []ruleSource
	add := func(c engine.GroomingCue, pats ...string) {
		for _, p := range pats {
			out = append(out, ruleSource{cue: c, pat: p})
		}
	}

	// Age: weak on its own. Ages in general ("몇 살 때", "몇 세 이상") are
	// allowed, but "몇 살인데" about someone else takes the cue, and so
	// does "초딩이냐?", an insult as often as a question.
	add(engine.CueAge,
		"{몇|몃|멫} ~0 {살|쌀|짤|세>|세야|세에요|세예요|세세요|세이|년생|년 생|년도생|년도 생|년도에 태어|학년}",
		"{<나이|니 나이|네 나이|너 나이|너의 나이} {가|는|를|} ~2 {어떻게|어케|어떡해|몇|얼마|알려|뭐야|뭐에요|궁금}",
		"<{중딩|초딩|고딩|중학생|초등학생|고등학생|중삐리|초글링|잼민이} ~0 {이야>|이냐>|임>|이에요>|이세요>|이니>|이지>|이죠>|맞지|맞아>|맞죠|맞니|이신가|이심>|인가요|야>|냐>|니>|인지>|이었어}",
		"{<너>|<넌|<너는|<너도|<니>|<니는} ~2 <학생 ~0 {이야>|이냐>|임>|이에요>|이세요>|이니>|이지>|이죠>|맞지|맞아>|야>|냐>|니>|인가}",
		"{초등학교|중학교|고등학교|초등|중학|고등|학교} ~0 {몇 학년|다녀>|다니니|다니냐|다님>|다녀요|다니세요|다니지>}",
		"{생년월일|태어난 해|띠} ~2 {언제|뭐|알려|어떻게}",
		"{<학년|<연세|<나이대} {이|은|을|가|는|} ~2 {어떻게|어케|몇|뭐야|알려|궁금}",
		"{<혹시|<실례지만|<실례지만 혹시} ~0 {나이가>|나이는>|연세가>|몇 살>|몇살>|몇 학년>|몇학년>}",
		// Asking leave to ask ("나이 물어봐도 돼?") is asking.
		"{나이|몇 살|몇살|몇 학년|몇학년|학년|나이대} ~4 {물어봐도|물어 봐도|물어도|여쭤봐도|여쭤 봐도|여쭤도|여쭈어봐도|물어봐두}",
		// A bare "학생이야?" is the guess at a student; the word must start
		// its token, and the ending must end it ("학생이지만" has none).
		// "학생임" and "학생이에요" are how reviewers say they are students.
		"<학생 ~0 {이야>|이냐>|이세요>|이니>|이지>|이죠>|맞지|맞죠|맞니|맞아>|이신가|이심>|인가요>}",
		"<{미성년자|미성년|미자} ~0 {야>|냐>|니>|임>|지>|죠>|이야>|이지>|이냐>|이니>|이죠>|예요>|에요>|세요>|이세요>|맞지|맞죠|인가요>}",
		"how old ~0 {are you|r you|are u|r u|ru|ar u|are ya|r ya|you|u|re you|ya}",
		"{what|wat|which} {grade|year} ~0 {are you|r you|are u|r u|ru|are ya|you in|u in}",
		"{are|r} {you|u} {in|still in|at|still at} ~0 {middle school|high school|elementary|elementary school|primary|primary school|junior high|grade|year|school}",
		// "when you are in 2nd grade" is anyone: the guess needs its tag.
		"{youre|you are|ur|u r|u are|your} {in|still in|only in|just in|in like|like in} ~4 {middle school|high school|elementary|elementary school|primary school|junior high|grade|year} ~0 {right|rite|ryt|arent you|arent u|yeah|yea|huh|i guess|i bet|correct|no|rn|right now|yet}",
		// "ur a kid" is an insult as often: a guess needs its tag.
		"{youre|you are|ur|u r|u are} {a|still a|like a|just a|only a} {student|kid|minor|teen|teenager|highschooler|high schooler|middle schooler|schoolgirl|schoolboy} ~0 {right|rite|ryt|arent you|arent u|yeah|yea|huh|i guess|i bet|correct|no}",
		"{youre|you are|ur|u r|u are} {like|only|just|prolly|probably|maybe|around|about|} {10|11|12|13|14|15|16|17} ~0 {right|rite|ryt|arent you|arent u|yeah|yea|huh|i guess|i bet|or something|or so|years old|yrs old|yo}",
		"{mind if i|do you mind if i|do u mind if i|can i|could i|may i} ask ~0 {your age|ur age|how old|what grade|what year|your grade|ur grade}",
		"{whats|what is|wats|tell me} {your|ur} age",
		"{when|what year} {were|was} {you|u} born",
		"{what|wat} age ~0 {are you|r you|are u|r u|ru|are ya}",
		"{are|r} {you|u} {8|9|10|11|12|13|14|15|16|17|under 18|over 18|a minor|underage}",
		"{ur|your} asl",
		"{are|r} {you|u} {in|still in} ~5 {grade|grader}",
		"{guessing|i guess|i bet|i assume|i think|my guess is} ~0 {youre|you are|ur|u r|u are} ~8 {10|11|12|13|14|15|16|17|in middle school|in high school|in elementary|a kid|a teen|a minor|underage|in grade}",
		"{are|r} {you|u} {old enough|even old enough|of age|over 13|over 18|under 13|under 18|legal}",
		"{youre|you are|ur|u r|u are} {under|over|not even|not} {13|14|15|16|17|18}",
		"asl {pls|plz|please}",
	)

	// Whereabouts: weak. Schools and neighbourhoods need a question ("어느
	// 학교 다녀?"), or "어느 학교 숙제" and "무슨 동네축구" would count;
	// "혼자 있어" may still be the sender's own news.
	add(engine.CueWhereabouts,
		"{어느|무슨|어디} ~0 {학교|초등학교|중학교|고등학교|학원|동아리} ~2 {다녀|다니|다님|야>|이야|에요|예요|니>|냐>|임>|인데>|인지>|인가요|해>|하니>|하냐>|해요>|들었|들어>}",
		// Routine after school: which academies or clubs, whether alone on
		// the way home, at what time.
		"{학원|동아리} ~0 {몇 개|몇개|뭐|머|뭘|뭔} ~2 {다녀|다니|다님|해>|하니>|하냐>|해요>|들었|들어>|야>|임>}",
		"혼자 ~4 {집에 가>|집 가>|집에 가니|집에 가냐|집에 가요|걸어가>|걸어 가>|걸어가니|걸어가냐|걸어가요|하교해>|하교하니|하교하냐|하교해요|다녀>|다니니|다니냐|다녀요|집에 와>|집에 오니|집에 오냐}",
		"{집에|집까지|<집 갈 때|집에 갈 때|<집 올 때|집에 올 때|하교할 때|하교 때|학원 갈 때|학교 갈 때} ~2 혼자 ~0 {가>|가니>|가냐>|가요>|걸어가>|걸어 가>|걸어가니|걸어가냐|걸어가요|와>|오니>|오냐>|다녀>|가는 거야}",
		"{몇 시|몇시|언제}{에|쯤|쯤에|} {집에|집|학원|학교} ~2 {들어가>|들어가니|들어가냐|들어가요|들어와>|들어오니|들어오냐|와>|오니>|오냐>|와요>|가>|가니>|가냐>|가요>|도착해>|도착해요|도착하니|도착하냐|끝나>|끝나니|끝나냐|끝나요|마쳐>|마치니|마치냐}",
		"{학원|학교|수업|방과후|방과 후} ~2 {끝나면|끝나고|마치면|마치고|끝나는 게|끝나는게} ~2 {몇 시|몇시|언제}",
		"{방과후|방과 후|학교 끝나고|학교 끝나면|수업 끝나고|학원 끝나고|하교 후|하교하고} {에|엔|에는|} ~2 {뭐 해|뭐해|뭐하|뭐 하|머해|모해|어디 가|어디가|어디 있}",
		"혼자 ~0 {있는 시간|있는 날|있을 때|있는 때} ~4 {많아|많니|많냐|많지|있어>|있니|있냐|언제|자주|돼>|되니|되냐|몇 시}",
		"{학원|학교} {은|는|} ~2 {몇 시|몇시|언제} ~2 {끝나>|끝나니|끝나냐|끝나요|마쳐>|마치니|마치냐|마쳐요}",
		"{집에|<집} {은|는|} ~2 {몇 시|몇시|언제} ~2 {들어가>|들어가니|들어가냐|들어가요|들어와>|들어오니|들어오냐|와>|오니>|오냐>|와요>|가>|가니>|가냐>|가요>|도착해>|도착해요|도착하니|도착하냐}",
		"{학교|학원} {가|는|} ~0 {어디>|어딘|어디야|어디에요|어디예요|어디임|어디니|어디냐|어디 다녀|어디 다니|어디 다님}",
		"{학교|학원} 이름 ~2 {뭐|알려|이 뭐}",
		"어디 ~0 {살아|사니|사냐|사세요|사심|사는지|사는데|살고 있|살아요|살어|사는 거|사는거|사>|살>}",
		"{사는 곳|사는 데|사는곳|사는 동네|사는 지역|<집|<집이|<집은|너네 집|니네 집|<동네|<동네가|<아파트|<아파트가} ~2 {어디야|어디에요|어디예요|어디임|어디니|어디냐|어딘데|어디 살|어디쯤}",
		"{어느|무슨} ~0 {동네|지역|아파트} ~2 {살아|사니|사냐|살|사세요|사는|야>|이야|에요|예요|임>|니>|냐>}",
		"{주소|집 주소|집주소} ~2 {알려|뭐야|뭐에요|줘|불러|가르쳐|보내|찍어}",
		"{집에|집에서} ~2 혼자 ~0 {있어>|있니>|있냐>|있음>|있어요>|있나>|있지>|야>|냐>|니>|임>|있는 거야|있는거야}",
		"혼자 ~2 {집에|집이야|집에서} ~0 {있어>|있니>|있냐>|있음>|있어요>|있나>|있지>|야>|냐>|니>|임>}",
		"{집에|집엔|집에는} ~3 {누구|아무도|어른} ~0 {있어>|있니>|있냐>|있음>|없어>|없니>|없냐>|있어요>|계셔>|계시니|안 계|없지>|없어요>|없음>|없나>|있지>|없는 거야|없는거야}",
		"<학원 ~0 {다녀>|다니니|다니냐|다녀요|다니세요|다님>|다니지>}",
		"{학교|학원|수업} {끝나면|끝나고|마치면|마치고|끝나서} ~6 {집에 가>|집 가>|집에 가니|집 가니|집에 가냐|집 가냐|집에 가요|집 가요|집에 와>|집 와>|뭐해>|뭐 해>|뭐하니|뭐 하니|뭐하냐|뭐 하냐|뭐 해요|혼자 와|혼자 가|혼자야|혼자 있|어디 가>|어디 가니|어디 가냐}",
		"혼자 ~0 {있어>|있니>|있냐>|있음>|있어요>|있나>|있지>}",
		"{부모님|엄마|아빠|엄빠|부모|엄마 아빠|어머니|아버지|보호자} {는|도|께서|가|이|} ~3 {언제 와|언제 오|언제 들어|언제 퇴근|몇 시에 퇴근|몇시에 퇴근|퇴근 언제|몇 시에 오|몇시에 오|몇 시에 와|몇시에 와|몇 시에 들어|몇시에 들어|안 계|안계|집에 없|집에 안|집에 계|계셔>|계시니|계시냐|늦게 와|늦게 오|늦게 들어|야근}",
		"맞벌이 ~0 {셔>|세요>|야>|니>|냐>|임>|하셔>|하시니|하시냐|시니>|시냐>|이셔>|이시니|이시냐|하셔요}",
		"{which|what|wat|wut} school",
		"{which|what|wat|wut} {academy|academies|hagwon|cram school|club|clubs} ~0 {do you|do u|are you|r u|are u|you|u} ~0 {go|in|attend|join|belong|at|going}",
		"{do|d|will|are|r} {you|u|ya} ~10 {walk|walking|go|going|get|getting|come|coming|ride|riding|bike|biking|cycle|take the bus|taking the bus|head|heading} ~2 {home|back|back home|to school|from school} ~14 {alone|by yourself|by urself|on your own|on ur own|yourself}",
		"{what|wat|wut} {do|d} {you|u|ya} ~8 do ~0 {after school|after class|after classes|when you get home|when u get home}",
		// "when you get home" alone is a plan, not a question.
		"{what time|wat time|when do|when will|when d} ~2 {you|u|ya} {get|come|go|walk|are|r} home",
		"{what time|wat time|when} {does|do} {your|ur|} {school|class|classes|academy|practice} ~0 {finish|end|get out|let out|finishes|ends|over}",
		"{is|will} {anyone|anybody|someone|somebody} {else|} {home|at home|there} ~0 {with you|with u}",
		"{whos|who is|who else is} {home|at home|there} ~0 {with you|with u}",
		"{do|d} {you|u} {go to|attend|do|have} ~4 {after school|afterschool|academy|academies|hagwon|cram school|tutoring}",
		"{does|do|will|is} {anyone|anybody|someone|somebody|your mom|your dad|your parents|ur mom|ur dad|ur parents} {pick you up|pick u up|picking you up|picking u up|walk you home|walk u home|come get you|take you home}",
		"{do|does|will} {your|ur} {parents|mom|dad|mum|folks} ~4 {work late|work nights|get home late|come home late|work till|work until|work night shift|work overtime}",
		"where {do|d} {you|u|ya} ~0 {live|stay|go to school|study}",
		"where {you|u|ya} {live|stay|at}",
		"{whats|what is|wats|send me|give me|tell me} {your|ur} ~0 {address|home address|location|addy|zip code|zip}",
		"{your|ur} home address",
		"{are|r} {you|u} ~6 {home alone|alone|by yourself|by urself|on your own|on ur own}",
		"{are|r|is|will|} {your|ur} {parents|mom|dad|mum|family|folks} ~4 {home|there|around|away|out|gone|at work|working}",
		"when {do|does|will} {your|ur} {parents|mom|dad|mum|folks} ~10 {get home|come home|come back|get back|leave}",
		"{what|which|wat} {neighborhood|neighbourhood|area|city|town|part of town|street|district} ~6 {do you|do u|you|u} {live|stay}",
		"{what|which} {neighborhood|neighbourhood}",
	)

	// Contact: strong. A number with no context ("번호 뭐야" about a caller) takes
	// the cue, but the numbers of services do not: see the allow patterns.
	// A phone number itself is the PII detector's, not a cue.
	add(engine.CueContact,
		"<톡 {아이디|아디|아뒤|id}",
		"{전번|폰번|핸번|폰번호|전화번호|핸드폰 번호|휴대폰 번호} ~0 좀",
		koApps+" {아이디|아디|아뒤|id|계정|주소|닉|닉네임|번호|친추|친구 추가|친구추가|추가}",
		koApps+" {있어>|있니>|있냐>|있음>|있어요>|있으세요|있으면|있나>|있는지|해>|하니>|하냐>|하나>|해요>|하세요>|하심>|하시나|함>}",
		"{번호|전번|전화번호|전화 번호|폰번|폰 번호|폰번호|핸드폰 번호|휴대폰 번호|핸폰 번호|폰넘버|연락처|핸번} ~3 {줘|줄래|줄수|줄 수|주라|주세요|주실|알려줘|알려 줘|알려줄래|알려주라|알려주세요|알려주실|알랴줘|가르쳐|뭐야|뭐에요|뭐예요|뭐임|뭐니|불러|남겨|따도|딸 수|따고|따가|교환|공유|보내줘}",
		"{이메일|메일 주소|메일주소|이멜} ~3 {뭐야|뭐에요|알려줘|알려 줘|알려주세요|알려줄래|줘|주세요|보내줘}",
		"{<내>|<제>|<나의|<저의} ~2 {번호|전번|폰번|전화번호|연락처|카톡|카톡 아이디|인스타|디코|라인 아이디|텔레그램}",
		"{<내|<제} ~0 {번호|전번|폰번|전화번호|연락처|카톡|카톡 아이디|인스타|디코|라인 아이디|텔레그램}",
		"{여기로|이 번호로|이번호로|이쪽으로} ~0 {연락|전화|문자|톡|카톡}",
		"<연락 ~0 {줘>|주라>|해줘>|해>|하자>|줄래>|할래>|해라>}",
		"{whats|what is|wats|wuts|whts|give me|gimme|send me|can i have|can i get|could i have|could i get|may i have|drop|tell me|share|i need|i want} ~2 {your|ur|yo} ~0 "+enHandles,
		"{add me|add me on|hmu on|hit me up on|follow me on|find me on|catch me on} ~0 "+enApps,
		"{heres my|here is my|add my|follow my} ~0 "+enHandles,
		// "my phone is dying" says nothing of a number.
		"my ~0 {number|phone number|cell number|digits|email|email address|snap|snapchat|sc|insta|instagram|ig|discord|kik|whatsapp|telegram|line id|wechat|skype|kakao|kakao id|kakaotalk} ~0 {is|id is|name is|handle is|tag is|username is}",
		"{text|txt|email|mail} me at",
		"{do you|do u|you|u|ya|do ya} {have|got|use} {a|an|} ~0 {snap|snapchat|insta|instagram|discord|kik|whatsapp|telegram|wechat|line|kakao|kakaotalk|phone|cell|cellphone|email}",
	)

	// Platform move: strong. Only requests to go elsewhere; "인스타에서
	// 봤는데" (saw it on Instagram) names an app and moves nothing.
	add(engine.CuePlatformMove,
		"{갠톡|개인톡|개인 톡|갠디|갠디엠|갠챗|개인 채팅|개인채팅|개인 메시지|개인 메세지|개인 디엠|개인방|오픈채팅|오픈 채팅|오픈카톡|오픈 카톡|오픈톡|비밀방|비밀 방|비밀 채팅|비밀채팅|비밀 대화방|비밀대화방|비밀 톡방|비밀톡방|비밀 단톡|비밀 채팅방|둘만의 대화방|우리만의 대화방|비번방|둘만의 방|둘만 있는 방|우리만의 방|따로 방}",
		koApps+" {으로|로|에서|으루|루|} ~0 {와>|해>|고>|ㄱ>|ㄱㄱ>}",
		koApps+" {으로|로|에서|으루|루|} ~2 {와라|와요|오세요|올래|오라|넘어와|넘어가|넘어오|옮기|옮겨|옮길|가자|갈래|갈까|얘기|애기|이야기|대화|톡해|톡 해|톡하자|연락|말해|하자|해줘|할래|하실래|와줘|들어와|들어올래|초대}",
		"{디엠|뒘|디 엠|쪽지|귓|귓말|귓속말|dm|pm} {로|으로|} ~0 {줘|해>|ㄱ>|와>}",
		"{디엠|뒘|디 엠|쪽지|귓|귓말|귓속말|dm|pm} {로|으로|} ~2 {줘|주세요|보내|할게|하자|해줘|주라|줄래|할래|넣어|드릴게|남겨|확인}",
		"{따로|다른 데서|다른데서|딴 데서|딴데서|다른 곳에서|다른 곳으로|딴 데로|딴데로|딴 곳|다른 앱|다른 어플|딴 앱|딴 어플|여기 말고|여기말고|우리 둘이|우리 둘이서|우리 둘만|둘만|우리끼리|조용한 데서|조용한 곳에서} ~4 {얘기하자|얘기해>|얘기할래|얘기할까|얘기 좀|얘기해요|애기하자|대화할까|톡할까|채팅할까|연락할까|이야기할까|이야기하자|이야기해>|이야기할래|대화하자|대화해>|대화할래|톡하자|톡해>|톡할래|채팅하자|채팅해>|채팅할래|연락하자|연락해>|연락할게|연락줘|연락 줘|연락할래}",
		"{1대1|11|일대일} ~0 {대화|채팅|톡|챗}",
		// "There" is another app when the talk moves there to be easier,
		// or after installing one.
		"{거기서|거기선|거기로|그쪽에서|그쪽으로|그 앱에서|그 앱으로|그걸로} ~4 {편하게|편히|맘 편히|마음 편히|자유롭게|맘껏|둘이} ~2 {얘기|이야기|애기|대화|톡|채팅|연락|하자|해>|놀자}",
		"{다른 앱|딴 앱|다른 어플|딴 어플|다른 메신저|딴 메신저} {으로|로|에서|} ~2 {옮기|옮겨|넘어가|넘어와|넘어오|가자|갈래|갈까|와>|와라|하자|할래|얘기|대화|연락}",
		"{다른 앱|딴 앱|다른 어플|딴 어플|다른 메신저|<앱|<어플} {을|를|} ~2 {깔아|깔고|깔면|설치해|설치하고|설치하면|다운받아|다운 받아|다운받고|받아봐|받고} ~8 {거기서|거기로|거기선|그걸로|얘기하자|얘기해>|대화하자|연락해|연락하자|와>|와라|톡해|톡하자}",
		koApps+" {을|를|} ~2 {깔아|깔고|깔면|설치해|설치하고|설치하면|다운받아|다운 받아|다운받고|받아봐|받고} ~8 {거기서|거기로|거기선|그걸로|얘기하자|얘기해>|대화하자|연락해|연락하자|와>|와라|톡해|톡하자}",
		"{다른 앱|딴 앱|다른 어플|딴 어플|다른 메신저} ~6 {거기서|거기로|거기선} ~2 {하자|얘기|대화|톡|와>|보자|할래|연락}",
		"{다른 앱|딴 앱|다른 어플|딴 어플|다른 메신저|딴 메신저} {으로|로|을|를|} ~0 {쓰자|쓸래|쓰는 게|깔자|깔래}",
		koApps+" ~10 {거기로 와>|거기로 와라|거기로 오|거기서 얘기|거기서 대화|거기서 톡|거기서 하자|거기로 넘어|거기서 연락|거기서 보자}",
		"{여기선|여기서는|여긴|여기는} ~6 {불편|눈치|감시|보는 눈|다 보|기록|신고} ~8 {거기서|거기로|딴 데|다른 데|다른 앱|딴 앱} ~2 {얘기|이야기|대화|톡|하자|연락|가자}",
		"{move|moving|switch|continue|talk|chat|text|message|msg|hmu|hit me up|dm me|pm me|come|go|join me|hop|chat with me|talk to me} ~12 {on|to|in|over to|over on|onto|via} ~0 "+enApps,
		"{add me|hmu|hit me up|message me|text me|msg me|dm me|talk|chat|find me|follow me|move|switch|go|talk to me|chat with me|move this|take this} ~6 {on|to|onto|over to|in} ~0 {another|a different|a diff|some other|other} {app|platform|site|messenger|chat app|apps}",
		"{lets|let us|can we|we should|wanna|want to|we can|we could|should we|shall we} ~2 {switch|change|move|swap} ~0 {apps|app|platforms|platform}",
		"{do you|do u|you|u} {have|got|use} {another|a different|any other|other} {app|apps|messenger|chat app}",
		enApps+" ~20 {join me there|come there|talk there|chat there|hmu there|add me there|find me there}",
		"{easier|safer|more private|comfier|more comfortable} to {talk|chat|text} {there|on there|over there|on that app}",
		"{easier|safer|more private|comfier|more comfortable} to {talk|chat|text} ~0 {on|in|over on} ~0 "+enApps,
		"{download|install|get} ~2 "+enApps+" ~20 {talk there|chat there|text there|talk on there|chat on there|add me|find me|dm me|message me}",
		"{lets|let us|can we|wanna|want to|shall we|we should|come|join me|u wanna|you wanna} ~6 {private chat|private chatroom|private chat room|private room|private server|private dm|private dms|private convo}",
		"{dm|pm|inbox|direct message|private message} me",
		"{dm|pm|message|msg|text|talk|chat} ~4 {privately|in private|in dms|in dm|in pm|in pms}",
		"{check|see|open} {your|ur} {dms|dm|pms}",
		"{slide|sliding} into {your|ur|my} dms",
		"{lets|can we|could we|wanna|want to|shall we|we should|we can|u wanna|you wanna|why dont we} ~4 {go private|talk privately|chat privately|talk in private|chat in private|go somewhere private|somewhere more private|somewhere private|go somewhere else|talk somewhere else|chat somewhere else|take this private|take this somewhere|move this}",
		"secret {chat|chatroom|chat room|room|server|channel|group|group chat|gc}",
		"{our|my|ur|your|join my|come to my|in my} private {chat|chatroom|chat room|server|channel|group chat|gc|room}",
		"private {chat|chatroom|chat room} {with me|with you|with u|just us}",
	)

	// Photo: strong. A request or an exchange; "사진 잘 나왔다" and "send me
	// the file" are none. "send pics" of anything takes the cue, but not
	// pictures "of the", "of this", nor "현장 사진" and "숙제 사진" (photos of
	// a site, of homework: see the allow patterns).
	add(engine.CuePhoto,
		"{사진|셀카|셀피|셀카 사진|얼굴 사진|얼사|전신|전신 사진|몸 사진|몸사진|몸매 사진|속옷 사진|인증샷|인증 사진|프사|사진 한 장|사진 한장} ~4 {보내줘|보내 줘|보내봐|보내바|보내줄래|보내주라|보내주세요|보내줄 수|보내줄수|보내달|보내라|보낼래|보내 ㄱ|보내ㄱ|보여줘|보여 줘|보여봐|보여바|보여줄래|보여주라|보여주세요|보여줄 수|보여줄수|보여달|보여라|보일래|교환|주고받|주고 받|찍어서 보내|찍어 보내|찍어서 줘}",
		"{셀카|셀피|얼사|얼굴 사진} ~0 {한 장만|한장만|하나만|좀>|ㄱ>|보고 싶|보고싶}",
		"{<너>|<니>|<네|<너의|<니} ~0 {사진|셀카|얼굴 사진} ~2 {보고 싶|보고싶|궁금}",
		"{얼굴|<몸|몸매|<가슴|<다리|<발|속옷|맨몸} ~2 {보여줘|보여 줘|보여봐|보여바|보여줄래|보여주라|보여주세요|보여줄 수|보여줄수|보여달|보일래}",
		"얼공 ~0 {해줘|해>|ㄱ>|ㄱㄱ>|해봐|해 봐|가능|할래|하자|해주세요|좀}",
		"{<영통|<영상통화|<영상 통화|<페이스타임|<페톡|<화상통화|<화상 통화|<캠|<웹캠} ~0 {하자|할래|해>|해줘|해요|할까|해도|가능|ㄱ>|ㄱㄱ>|고>|걸게|걸어|걸까|됨>|돼>|되>|하쟈|할 수|할수|각>|켜>|켜줘|켜봐|키자|킬래|켜 봐|하실래|하실|한번|한 번}",
		"send ~8 {pic|pics|picture|pictures|photo|photos|selfie|selfies|nudes|nude|pix|foto|fotos|face pic|face pics|body pic|body pics}",
		"{pic|pics|picture|pictures|photo|photos|selfie|selfies|snap|snaps} of {you|u|yourself|urself|ur face|your face|ur body|your body}",
		"{show me|lemme see|let me see|can i see|wanna see|want to see|i wanna see|i want to see|show} {your|ur|yo} {face|body|pic|pics|selfie|legs|feet}",
		"{show me|lemme see|let me see} {you|u|yourself|urself|what you look like|what u look like}",
		"{lets|wanna|want to|can we|can u|can you|could we|shall we|we should|do a|hop on a|join a|start a|get on|u wanna|you wanna|will you|would you} ~4 {video call|videocall|vid call|video chat|videochat|facetime|face time|cam|webcam|skype call}",
		"{video call|videocall|vid call|video chat|facetime} {me|now|rn|tonight|later|pls|please|plz|with me|}",
		"{turn|put|switch} on ~4 {cam|camera|webcam}",
		"{turn|put|switch} {your|ur} {cam|camera|webcam} on",
		"{pic|pics|photo|photos|selfie|selfies} {exchange|swap|trade}",
		"{exchange|swap|trade} {pic|pics|photos|selfies}",
	)

	// Secrecy: strong. Keeping something from the people who would
	// protect the recipient, a shared secret, or deleting the talk.
	add(engine.CueSecrecy,
		// "Don't tell" reaches further than the other words: "친구들한테
		// 나랑 얘기하는 거 말하지 마".
		koPeople+" ~10 {말하지 마|말하지마|말 하지 마|말하지 말|말하면 안|얘기하지 마|얘기하지 말|얘기하면 안|이르지 마|말하지 않기로|말하지 않겠다고|말하지 않을 거지|말 안 할 거지|얘기하지 않기로|얘기 안 하기로}",
		"{부모님|엄마|아빠|엄빠|선생님|선생님들|쌤|쌤들|담임|친구들|어른들|가족} {이|가|들이|도|께서|} ~0 {알면 안|알게 되면 안|알아선 안|알면 큰일|알면 끝|알면 죽}",
		"{비밀이야|비밀이다|비밀임|비밀이에요|비밀인 거 알지|비밀인거 알지|비밀이지} ~4 "+koPeople,
		"{<아무도|<누구도|<아무한테도} ~0 {몰라야|알면 안|알아선 안|알아서는 안|알게 하지 마|알게 하면 안|모르게 해}",
		koPeople+" ~6 {말하지 마|말하지마|말 하지 마|말하면 안|말 하면 안|말하지 말|말하기 없|말 안 하|말안하|얘기하지 마|얘기하지 말|얘기하면 안|얘기 하지 마|얘기 하지 말|애기하지 마|애기하면 안|이야기하지 마|이야기하면 안|이르지 마|이르면 안|일러바치|알리지 마|알리면 안|비밀|보여주지 마|보여주면 안|들키면|들키지|말하면 죽|말하면 큰일|티 내지 마|티내지마|모르게}",
		"{우리 얘기|이 얘기|우리 대화|이 대화|우리 사이|우리 일|우리 둘 얘기} ~8 {하지 마|하지마|하면 안|말하지 마|말하지마|비밀}",
		"{비밀로|비밀 로} ~0 {하자|해>|해줘|해 줘|할래|할 수|해야|해라|해요|해주세요|해 주세요|하는 거|하는거|해둬|해 둬|해둘게|할게}",
		"비밀 ~0 {지켜|지킬|유지|잘 지}",
		"{둘만의|우리만의|우리 둘만의|너랑 나만의|우리 둘의|우리둘만의} ~0 비밀",
		"{우리만|둘만|우리 둘만|너랑 나만|너만|우리끼리만} ~2 {알자|알고 있어|알고 있자|알고있어|알아야|아는 거야|아는 비밀|알기|아는 걸로|아는 거로|아는 것으로|알고 있는 걸로}",
		"아무도 모르게 ~4 {하자|만나|와>|해>|얘기|연락|보자|놀자|가자}",
		// "If they ask, say you didn't know / were out": a denial or an
		// alibi, not "잘 지낸다고 해" (say I'm well).
		"{물어보면|물으면|물어 보면|물어보시면|물어봐도} ~10 {모른|몰랐|간|갔|있었|만난|만났|잤|잔|논|놀았|공부한|공부했|없었|아니}{다고|라고} {해>|하면 돼|하면 되|해라|둘러대|말해|해요}",
		"if {your|ur|} {mom|mum|dad|parents|teacher|teachers|anyone|anybody|someone|somebody|family|folks|they} {asks|ask|asked} ~0 {say|tell them|tell her|tell him|just say|tell em} ~0 {youre|you are|ur|u r|you were|u were|we were|nothing|you dont|u dont|you didnt|u didnt|you dont know|u dont know}",
		"{keep|keeping|hide|hiding} {this|it|us|that|our chats|our chat|our talks|me|this chat} ~0 from {your|ur|the|} ~0 "+enPeople,
		"{no one|nobody|noone} {else|} ~0 {can|should|must|is allowed to|will ever|can ever} ~0 {know|find out|see this|hear about}",
		// Cover stories: what to tell at home instead ("친구 만난다고 해");
		// a report ("친구 만난다고 했어") is none.
		"{친구|친구네|친구 집|친구집|친구네 집|친구네집|독서실|도서관|스터디카페|학원|학교|피시방|pc방|편의점}{랑|하고|에|에서|} {간다고|만난다고|간다 하고|있다고|있었다고|잔다고|논다고|놀았다고|공부한다고|놀다 온다고|자고 온다고|집이라고|이라고} ~0 {해>|해줘|말해|둘러대|얘기해|하면 돼|하면 되|해라|하고 나와>|하고 나와라|하고 와>|하고 나오|해놔|해 놔|해둬|하자}",
		"{대화|대화 내용|대화내용|대화 기록|채팅|채팅 기록|채팅방|톡|카톡|톡방|메시지|메세지|문자|디엠|dm|쪽지|우리 대화} {은|는|도|을|를|} ~3 {지워|지워줘|지워 줘|지워라|지우자|지워야|지워놔|지워 놔|지워둬|지우고|지워주세요|삭제해|삭제하자|삭제해줘|삭제해라|삭제 해|삭제하고|삭제해야|폭파해|폭파하자|폭파 ㄱ|다 지워|다 삭제}",
		"{dont|do not|dont you|never|dont ever|do not ever|you cant|u cant|cant|you mustnt|mustnt|better not|shouldnt|wont|won t|will not|promise not to} ~0 {tell|show|say anything to|mention this to|mention it to|mention me to|mention us to|mention me|mention us|talk about me to|talk about us to|talk about this to} ~8 "+enPeople,
		"{no one|nobody|noone} {needs to|has to|have to|gotta|should|else needs to|else has to|ever has to|ever needs to} know",
		"{tell|just tell|say to} {your parents|ur parents|your mom|ur mom|your mum|your dad|ur dad|your folks|them|him|her|mom|dad} ~0 {youre|you are|ur|u r|your|youll be|ull be|you were|you will be} ~12 {friend|friends|library|sleepover|sleeping over|studying|study group|practice|training|tutoring|rehearsal|the mall}",
		"say {youre|you are|ur|u r|youll be|you were} ~4 {at|with|going to|seeing|sleeping over|staying} ~4 {friend|friends|library|sleepover|study group}",
		"{dont|do not|dont you|never|dont ever|do not ever|better not} let ~8 "+enPeople+" ~4 {know|see|find out|hear|read}",
		"{our|our little|its our|this is our|just our} ~0 secret",
		"{keep|keeping} ~4 {between us|between you and me|between me and you|between u and me|a secret|secret|our secret|on the down low|on the dl|hush hush|from your parents|from ur parents|from your mom|from your dad|from ur mom|from ur dad}",
		"{stays|stay|is|remains|stays just|is just} between {us|you and me|me and you|u and me|us two}",
		"{chat|chats|convo|convos|talks|messages|this|it} {is|are|stays|stay} {just|only} {for us|ours|between us}",
		"{just|only|strictly} between {us|you and me|me and you|u and me|me and u|us two|the two of us}",
		"{delete|erase|clear|wipe} {our|this|these|all our|all these|all of our|all of these} {chat|chats|convo|convos|conversation|conversations|messages|msgs|texts|dms|chat history|message|msg|text|dm}",
		"{delete|erase|clear|wipe} the {chat|chats|convo|convos|conversation|conversations|dms|chat history}",
		"{delete|erase} {this|it|these|them} {after|when|once} ~4 {read|reading|you read|u read|seeing|you see|u see}",
	)

	// Gift: an offer. "선물 받았어" reports a gift and "the gift shop" names
	// a place; neither offers. Treating a friend to food ("밥 사줄게")
	// takes the cue.
	add(engine.CueGift,
		"{선물|기프티콘|깊티|게임 머니|게임머니|겜머니|기프트콘|기프트 카드|기프트카드|문상|문화상품권|상품권|컬쳐랜드|컬처랜드|해피머니|구글 기프트|구글기프트|틴캐시|용돈|돈|현금|현질|스킨|아이템|캐시|다이아|보석|젬|로벅스|로박스|브이벅스|v벅스|쿠폰|치킨|피자|햄버거|떡볶이|마라탕|맛있는 거|맛있는거|맛난 거|밥|옷|폰|게임기|닌텐도|에어팟|아이폰|갖고 싶은 거|갖고싶은거|원하는 거|원하는거|필요한 거|필요한거|뭐든} ~4 {줄게|줄께|주께|줄꼐|줄게요|사줄게|사 줄게|사줄께|사주께|사줄게요|사 줄께|사줄까|사 줄까|사 줄 수|사줄 수|사줄수|사줄테니|사줄 테니|보내줄게|보내줄께|보내 줄게|보내줄까|쏠게|쏠께|쏴줄게|쏴 줄게|쏴줄께|쏴줄까|충전해줄게|충전해 줄게|충전 해줄게|충전해줄까|충전해줌|충전해 줌|충전시켜줄게|넣어줄게|넣어 줄게|넣어줄까|넣어 줄까|넣어줌|질러줄게|질러 줄게|결제해줄게|결제해 줄게|결제해줄까|사줌|사 줌|쏴줌|해줄게|해줄께|해 줄게|해줄까|줄까|줄 수 있어|줄수있어|줄 테니|줄테니|받을래|가질래|원하면|원하니|원하냐|필요하면|드릴게|드릴께|드릴까|사드릴게|선물할게|선물해줄게|선물 해줄게}",
		"{사줄게|사 줄게|사줄께|사주께|사줄까|사 줄까|사드릴게|사드릴께|쏴줄게|쏴 줄게|쏴줄께|현질해줄게|현질 해줄게|현질해 줄게|현질해줄까|현질 해줄까|현질해줌|충전해줄게|충전해 줄게|충전해줄까|충전해 줄까|충전해줌|내가 쏠게|내가 쏠께|내가 쏜다|내가 살게|내가 낼게|내가 계산할게|공짜로 줄게|무료로 줄게|선물해줄게|선물 해줄게|선물할게|선물 줄게}",
		enIWill+" ~0 {buy|get|gift|give|send|pay for|treat|bring} ~0 {you|u|ya} ~10 {gift card|giftcard|gift cards|giftcards|battle pass|battlepass|season pass|robux|vbucks|v bucks|skins|skin|items|item|money|cash|nitro|a gift|a present|presents|gifts|something|anything|whatever you want|whatever u want|food|pizza|candy|snacks|ice cream|a phone|an iphone|airpods|clothes|games|a game|gems|coins|credits|diamonds|a ps5|a switch|steam card|itunes card|amazon card|google play card|pocket money|allowance|lunch|dinner|a drink|drinks}",
		"{ill|i will|i can|i could|let me|lemme|imma|im gonna|i would|id} ~0 buy {you|u|ya}",
		"free {robux|vbucks|v bucks|skins|nitro|gift card|giftcard|gift cards|itunes|steam|gems|coins|diamonds|money|cash}",
		"{do you want|do u want|u want|you want|you wanna|u wanna|wanna|want some|you need|u need|do you need|do u need} {some|free|} {robux|vbucks|v bucks|skins|nitro|gift card|giftcard|gift cards|money|cash|gems|diamonds|pocket money}",
		"{robux|vbucks|v bucks|gift card|giftcard|skins|nitro|money|cash|a gift|a present|presents} {for you|for u|for ya}",
		"{want|wanna} a {gift card|giftcard|present|gift|phone|iphone|new phone}",
		enIWill+" ~0 pay for {your|ur} ~4 {skins|skin|items|robux|vbucks|v bucks|nitro|phone|games|game|food|lunch|clothes}",
		"{ill|i will|i can|let me|lemme|imma} ~0 treat ~0 {you|u|ya}",
		// Top-ups of a game account: "top up your card" from a kiosk
		// attendant names no game thing and has none.
		"{ill|i will|i can|i could|let me|lemme|imma|im gonna|want me to|should i|shall i|can i} ~0 {top up|topup|top off|recharge|reload|load|fill up|refill|put|add} ~12 {your|ur} ~0 {account|acc|robux|vbucks|v bucks|gems|coins|diamonds|credits|game credits|wallet|balance|battle pass|battlepass|skins|steam|roblox|fortnite|game|games}",
		"{want me to|should i|shall i|do you want me to|u want me to|you want me to} ~0 {buy|get|gift|send|pay for|top up|cover} ~8 {battle pass|battlepass|season pass|skins|skin|robux|vbucks|v bucks|nitro|gems|coins|diamonds|credits|gift card|giftcard|a gift|a present|something|anything|premium|game pass}",
		enIWill+" ~0 {cover|get|buy|pay for} ~0 {your|ur} ~4 {battle pass|battlepass|season pass|skins|skin|robux|vbucks|v bucks|nitro|gems|coins|diamonds|credits|subscription|membership|premium|game pass|gamepass}",
		enIWill+" ~0 {give|hand|bring} ~0 {you|u|ya} ~0 {the gift|your gift|ur gift|the present|your present|ur present|a gift|a present|it|them} ~4 {in person|irl|when we meet|face to face|when i see you|when i see u}",
		"{need|want|u need|you need|u want|you want|wanna} {some|free|more|} ~0 {robux|vbucks|v bucks|gems|diamonds|skins|nitro|coins|money|cash|gift cards} ~4 {i got you|i got u|ill get|ill buy|ill send|i can get|i can buy|i can send|ill pay|just ask|ask me|tell me|lmk|let me know|hmu}",
		enIWill+" ~0 {bring|hand over|give|hand} ~0 {your|ur|the|a|my} {gift|present|presents|gifts} ~4 {in person|irl|when we meet|face to face|when i see you|when i see u}",
		"{i got|i bought|ive got|i have|i picked up} {you|u|ya} {a|an|a little|some|a small|a cute|} ~0 {present|gift|gifts|presents|surprise}",
	)

	// Flattery: weak. Only praise addressed to the recipient ("너 진짜
	// 예쁘다"); "불꽃놀이 진짜 예뻤어요" (the fireworks were pretty) and praise
	// of an actor in a review have none. "성숙하다" alone takes the cue,
	// whoever it is said of.
	add(engine.CueFlattery,
		koYou+" ~5 "+koLooks,
		"{<너|<니|<넌|<너는|<니는} ~0 "+koLooks,
		"{나이에 비해|나이보다|나이 치고|나이치고|나이에 안 맞게|또래보다|또래에 비해|또래 애들보다|다른 애들보다|애들보다} ~6 {성숙|어른스럽|어른스러|어른 같|어른같|조숙|성인 같|성인같|예쁘|이쁘|예뻐|이뻐|키 크|키크|몸매|생각이 깊|철들|똑똑|어른인}",
		"{성숙하다|성숙하네|성숙하구나|성숙한 편|성숙하시|어른스럽다|어른스럽네|어른스러워|어른스럽구나|조숙하다|조숙하네|조숙해}>",
		// Maturity in its other endings; "성숙해지는" and "성숙한 연기" (an
		// actor's) keep going and have none.
		// "성숙해 졌다" (has grown) and "미성숙" are none either.
		"{성숙|조숙} ~0 {하네요>|하시네요>|하세요>|한 것 같|한 거 같|한것같|한거같|한 듯|한듯|해 보여>|해보여>|해 보여요|해보여요|해 보이네|해보이네|해 보인다|해보인다|하시다>|하시구나}",
		"{어른스럽|어른스러} ~0 {네요>|다>|구나>|워요>|운 것 같|운 거 같|운 듯|워 보여|워보여}",
		"{말하는 게|말하는 거|말하는게|말하는거|하는 말이|말투가|생각하는 게|생각하는게|행동이|하는 거 보면|얘기하는 거|얘기하는 게} ~3 {어른 같|어른같|어른스럽|어른스러|성숙|어른이네|어른 다워}",
		// Unlike the others of one's age.
		"{또래|또래 애들|또래들|또래 친구들|다른 애들|딴 애들|다른 친구들} {랑|이랑|하고|과|와|들이랑|들하고|} ~6 {달라>|달라서|달라요|다르다|다르네|다른 것 같|다른거 같|다른 거 같|다른것같|다르구나|다른 듯|다른듯|차원이 달}",
		"{또래|또래 애들|다른 애들|딴 애들|애들|다른 친구들} {이랑|랑|하고|과|와|} ~0 {다르게|달리|와는 달리|과는 달리} ~2 {<너|<넌|<니가|<네가|<너는}",
		"또래 {같지 않|같지않|처럼 안 보|처럼 안보|로 안 보|로 안보|같지가 않}",
		"{you|u} {dont|do not|don t} {act|seem|look|sound|talk} like {a kid|a child|a teen|your age|ur age|a little kid|other kids|a teenager}",
		"{생각 깊은|생각이 깊은|성숙한|어른스러운|예쁜|이쁜|귀여운} ~0 {애|사람|친구|여자애|남자애} ~2 {처음 봐|처음 본|처음 봤|본 적 없|본적 없|못 봤|없어>|드물}",
		"{<너랑|<너하고|<너는|<넌|<너랑은} ~4 {말이 통|말이 잘 통|대화가 통|대화가 잘 통|얘기가 통|잘 통해}",
		"{생각이|생각도|속이|생각하는 게} ~2 {깊구나|깊네|깊다>|깊어>|깊어요|깊으시|깊은 것 같|깊은 거 같|깊은듯|깊은 듯|깊은 편}",
		// Looks seen in a profile picture.
		"{<프사|<프로필 사진|<프로필사진|<프로필|<플필|<아바타} ~8 {예쁘|예뻐|이쁘|이뻐|예쁜|이쁜|귀엽|귀여|잘생|존예|존잘|섹시|여신|인형 같|아름답|훈훈|내 스타일|내스타일|반했|반하|심쿵|설레|존멋|멋있|멋지}",
		"{사진으로 보니까|사진 보니까|사진으로 보니|사진 보니|사진으로 봤는데|사진 봤는데} ~4 {예쁘게 생|이쁘게 생|잘생|귀엽게 생|예쁘던데|이쁘던데|예쁘더라|이쁘더라|귀엽던데|귀엽더라}",
		// Praise right after "you are", or after an intensifier: a gap in
		// letters would take "you are having a beautiful Sunday".
		enYouAre+" ~0 "+enLooks,
		enYouAre+" ~0 {so|very|really|super|too|soo|sooo|such a|so so|also|also very|also so|more|the most|absolutely|truly|just|literally|really really|so very|a|a very|a really|an|such|damn|hella|rly|fucking|freaking|kinda|quite|looking|lookin|looking so|lookin so} ~0 "+enLooks,
		"{mature|grown up|grownup|pretty|beautiful|cute|hot|sexy|smart|tall|developed|big} for {your|ur|ya} age",
		"{youre|you are|ur|u r|u are|your} {not|nothing|so not} like ~0 {other|the other|most|all the other|any other|those other} {kids|girls|boys|guys|teens|children|people|ones}",
		"{youre|you are|ur|u r|u are|your} ~4 different from ~0 {other|the other|most|all the other|any other} {kids|girls|boys|guys|teens|children|people}",
		"{wise|mature|smart} beyond {your|ur} years",
		"{smarter|more mature|prettier|cuter|wiser|cooler|more grown up|ahead of|better than|different from|not like} ~6 {kids|girls|boys|guys|people|teens|anyone} {your|ur} age",
		"{youre|you are|u r|u are|ure} {special|so special|really special|very special|truly special|special to me|one of a kind|so different|not like the others|not like the rest}",
		enYouAre+" ~0 {so much more|much more|way more|a lot more|alot more|far more} {mature|grown up|grownup}",
		"{your|ur|yo} {pfp|profile pic|profile picture|profile photo|avatar|display pic|pic|pics|selfie|selfies|photo|photos|picture|pictures} ~0 {is|are|looks|look|r} ~7 "+enLooks,
		"{you|u} {look|seem|act|sound|talk} ~3 {older|mature|grown up|grownup|like an adult|like a grown up}",
	)

	// Meeting: strong. It cannot tell a meeting in the world from one
	// outside it (see above).
	add(engine.CueMeeting,
		"{만나자|만날래|만날까|만나볼래|만나 볼래|만나 보자|만나보자|만나서 놀자|만나서 놀래|만나서 얘기|만나줄래|만나 줄래|만나주라|만나줘|만납시다|만나러 갈게|만나러 와|한번 만나|한 번 만나|얼굴 보자|얼굴 한번 보자|얼굴 한 번 보자|얼굴 좀 보자|번개 하자|번개하자}",
		"{<너|<널|<너를|<당신|<님} ~3 만나고 {싶|파}",
		"{<우리|<너>|<너랑|<나랑|<저랑|<당신|<당신이랑} ~4 {만날 수 있|만날수있|만날 수 없|만날수없|만날 수 있을까}",
		"{실제로|직접|현실에서|오프에서|오프라인으로|오프라인에서|오프로|밖에서|실물로|따로|현실로} ~4 {만나|보자|볼래|볼까|봐요|놀자|놀래|만날래}",
		"{데리러|태우러|픽업하러|마중 나|마중나|데리고} ~0 {갈게|갈께|가께|갈까|가줄게|가 줄게|나갈게|가도 돼|가도 될|올게|와줄게|가면 돼|간다}",
		"{데려다 줄게|데려다줄게|데려다줄께|데려다 줄까|데려다줄까|태워줄게|태워 줄게|태워줄께|태워줄까|태워 줄까|픽업해줄게|픽업 해줄게|픽업할게}",
		"{<우리 집|<우리집|<내 집|<내집|<울집|<내 방|<내방|<자취방|<내 자취방|<오피스텔|<우리 아파트} ~3 {와>|올래|오라|오면 돼|오면 되|와도 돼|와도 되|오세요|와라|와줘|올 수|올수|초대할게|초대할까|초대해줄게|갈래|가자|가서 놀|와서 놀|와서 자|와서 쉬|자고 가|자고가|놀러 와>|놀러와>|놀러 올래|놀러올래|놀러 오라|놀러오라|놀러 와라|놀러와라|놀러 오면|놀러오면|놀러 오세요}",
		"{<역|<카페|<편의점|<공원|<피시방|<pc방|<놀이터|<정문|<후문|<정류장|<버스 정류장|<마트|<영화관|<노래방|<지하철역} {앞|앞에서|에서|앞으로|으로|로} ~0 {만나>|만나자|만날래|만날까|보자>|볼래>|나와>|나올래|기다릴게|기다릴께}",
		"{<너네 집|<니네 집|<너희 집|<니 집|<네 집|<너네집|<니네집|<너희집|<니집|<학교 앞|<학원 앞|<집 앞|<집앞|<학교 끝나고|<학원 끝나고|<방과 후|<방과후|<수업 끝나고} ~4 {만나|기다릴게|기다릴께|기다릴까|보자|갈게|갈께|갈까|가도 돼|가도 될|놀러 갈|데리러|나와>|나올래|나와라|나와 줘|나와줘|있을게}",
		"{<너|<널|<너를|<니|<당신|<님} ~2 {보러|만나러|데리러|찾아} ~0 {갈게|갈께|가께|갈까|가도 돼|가도 될|가고 싶|갈래|올래|와>|와줘|와 줘}",
		"{lets|let us|can we|could we|wanna|want to|shall we|should we|we should|we could|when can we|where can we|u wanna|you wanna|i wanna|i want to|we can|we gotta|we have to|id love to|would love to} ~0 {meet|meet up|meetup|hang out irl|see each other|link up|meet in person|meet irl|get together}",
		"meet me",
		"{meet|meeting} ~6 {irl|in person|in real life|face to face|offline|for real|in the real world|at my place|at my house|at ur place|at your place|after school|at your school|at ur school}",
		"{hang out|hangout|chill|link up|see you|see u|date} ~4 {irl|in person|in real life|face to face|offline|in the real world|after school|at my place|at my house}",
		"{pick|come pick|come get} {you|u|ya} up",
		"{drive|walk} {you|u|ya} home",
		"{come|come over|come over to|come to|come by|stop by|visit} ~0 {my|mine} ~0 {place|house|home|room|apartment|flat|car|crib}",
		"{come|come over} to mine",
		"{i can|ill|i will|i could|let me|lemme|imma|can i|could i} ~0 {come|drive|walk|visit} ~0 {to you|to your place|to ur place|to your house|to ur house|over|see you|see u|get you|get u|to your school|to ur school|visit you|meet you|meet u}",
		"{where|when} {can|should|shall|do} {we|i} ~2 meet",
	)

	// Allow patterns: benign words and phrases whose matches inside cancel
	// the cue they would give.
	add("",
		// Numbers of services and things, not of people.
		"{접수|대기|예약|주문|민원|계좌|차량|회원|사업자|등록|우편|방|문의|상담|고객|주민|여권|카드|학번|좌석|티켓|운송장|송장|사건|신고|안내|대표|비밀|인증|일련|관리|모델|상품|제품|버스|노선|호실|출구|게이트|번지} 번호",
		"{번호표|번호판}",
		// Photos of things: of a site, a document, homework.
		"{현장|파손|고장|도로|영수증|서류|증빙|신분증|증명|제품|상품|물건|택배|위치|지도|숙제|필기|과제|시간표|공지|메뉴|작품|풍경|음식|행사} 사진",
		// 영통 is a district of Suwon as well as a video call.
		"{영통구|영통동|영통역}",
		// Negated praise.
		"{안|못|덜} {예쁘|예뻐|이쁘|이뻐|귀엽|귀여|잘생|성숙|섹시|매력}",
		"{예쁘|이쁘|귀엽|잘생기|성숙하|섹시하|어른스럽}{지|진} {않|도 않|는 않|못|도 못}",
		"{not|isnt|arent|never|not that|not very|not so|not really|less} {pretty|beautiful|cute|hot|sexy|gorgeous|mature|attractive|handsome}",
		// "pretty" as an adverb.
		"pretty {good|bad|much|sure|cool|fast|well|nice|hard|easy|big|small|close|far|smart|funny|late|early|sick|tired|busy|quick|awesome|great|fun|weird|strange|long|interesting|decent|solid|old|new|clear|obvious|simple|serious|happy|sad|quiet|loud|high|low|young|expensive|cheap|bored|boring|annoying|rare|common|normal|dope|lit|chill|lame}",
		// Phrases that hold a cue's words and mean something else.
		"만나자마자",
		"{만날까 봐|만날까봐}",
		"밥줄",
		"{누구에게나|누구한테나|누구나}",
		// The sender's own parents ("우리 엄마도 늦게 들어와") and praise of a
		// whole group ("다들 생각이 깊네요") are none.
		"{<우리|<울|<내|<저희} {엄마|아빠|부모님|엄빠}{는|도|가|} {늦게 와|늦게 오|늦게 들어|야근|집에 없|집에 안}",
		"{<다들|<모두|<모두들|<여러분|<여러분들} {생각이|생각들이} {깊구나|깊네|깊다|깊어|깊어요|깊으시|깊은 것 같|깊은 거 같}",
		"미성숙",
		// Not talking about a thing ("학교에 관해서 얘기하지 말자").
		"{학교|학원|가족|친구|선생님|부모님|엄마|아빠}{에|에게|한테|} {관해|관해서|대해|대해서} {얘기하지 말|말하지 말|얘기하지 마|말하지 마}",
		"{<저는|<전|<나는|<난|<저도|<나도} 학생{이야|이지|이죠|이니}",
		// Having a secret is not keeping one ("엄마에게도 비밀이 있다").
		"비밀{이|은|도|} {있|없|많}",
		"{둘만의|우리만의|따로|개인|비밀} {방식|방법|방송|방향|방학|방문|방지|방어|방콕|방안}",
		// 너무 ("very") is not 너 ("you"), however spaced (너~~무).
		"너무",
		// An age in general, not the recipient's.
		"{몇|몃} {살|세} {때|떄|적|이상|이하|부터|까지|관람|쯤 때}",
		"{our|our little|its our|this is our|just our} secret {recipe|recipes|sauce|weapon|santa|ingredient|ingredients|garden|formula|menu|society|project|mission|level|code|agent|service|base|stash|handshake}",
		"{which|what} school of",
		"{meet|meet up with|meet with} {the|a|an|his|her|their|them|him|people|everyone|new|other|some|mayor|team|requirements|deadline|deadlines|expectations|standards|needs|criteria|goal|goals|target|targets|demand|demands}",
		"{pic|pics|picture|pictures|photo|photos|screenshot|screenshots} of {the|this|that|it|them|those|these|my|his|her|their|our|a|an}",
	)
	return out
}
