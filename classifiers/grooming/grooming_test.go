package grooming_test

import (
	"bufio"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/grooming"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

func detect(s string) grooming.Set { return grooming.Detect(textnorm.Normalize(s)) }

// TestDetect: for each cue, lines in both languages that carry it, and
// lines that share its words but do not.
func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		text string
		want grooming.Set
	}{
		{"age ko", "너 몇 살이야?", grooming.Of(engine.CueAge)},
		{"age ko spaced", "몇 살 이 야", grooming.Of(engine.CueAge)},
		{"age ko jamo", "ㅁㅕㅊ ㅅㅏㄹ", grooming.Of(engine.CueAge)},
		{"age ko grade", "중딩이야?", grooming.Of(engine.CueAge)},
		{"age en", "how old r u", grooming.Of(engine.CueAge)},
		{"age look-alike time", "몇 시야?", 0},
		{"age look-alike count", "몇 개 남았어?", 0},
		{"age look-alike building", "how old is this building", 0},
		{"whereabouts ko", "집에 혼자 있어?", grooming.Of(engine.CueWhereabouts)},
		{"whereabouts en", "which school do you go to", grooming.Of(engine.CueWhereabouts)},
		{"whereabouts look-alike homework", "학교 숙제 다 했어?", 0},
		{"contact ko", "카톡 아디 뭐야", grooming.Of(engine.CueContact)},
		{"contact en", "what's your snap", grooming.Of(engine.CueContact)},
		{"contact look-alike service number", "접수번호 알려주세요", 0},
		{"platform ko", "갠톡 ㄱㄱ", grooming.Of(engine.CuePlatformMove)},
		{"platform en", "let's move to discord", grooming.Of(engine.CuePlatformMove)},
		{"platform look-alike online", "온라인으로 신청하세요", 0},
		{"photo ko", "사진 보내줘", grooming.Of(engine.CuePhoto)},
		{"photo ko obfuscated", "사@진 보.내.줘", grooming.Of(engine.CuePhoto)},
		{"photo en", "send me a pic", grooming.Of(engine.CuePhoto)},
		{"photo look-alike comment", "사진 잘 나왔다", 0},
		{"photo look-alike file", "send me the file", 0},
		{"secrecy ko", "부모님한테 말하지 마", grooming.Of(engine.CueSecrecy)},
		{"secrecy en", "don't tell your parents", grooming.Of(engine.CueSecrecy)},
		{"secrecy look-alike recipe", "our secret recipe", 0},
		{"gift ko", "스킨 사줄게", grooming.Of(engine.CueGift)},
		{"gift en", "i'll buy you robux", grooming.Of(engine.CueGift)},
		{"gift look-alike report", "선물 받았어", 0},
		{"gift look-alike shop", "the gift shop", 0},
		{"flattery ko", "너 진짜 예쁘다", grooming.Of(engine.CueFlattery)},
		{"flattery en", "you're so pretty", grooming.Of(engine.CueFlattery)},
		{"flattery look-alike fireworks", "불꽃놀이 진짜 예뻤어요", 0},
		{"meeting ko", "데리러 갈게", grooming.Of(engine.CueMeeting)},
		{"meeting en", "i can pick you up", grooming.Of(engine.CueMeeting)},
		{"meeting look-alike deadline", "meet the deadline", 0},
		{"several", "너 몇 살이야? 너 진짜 예쁘다 카톡 아이디 알려줘 부모님한테는 비밀로 하자",
			grooming.Of(engine.CueAge, engine.CueContact, engine.CueSecrecy, engine.CueFlattery)},
		{"empty", "", 0},
		{"symbols only", "?!… ㅋㅋㅋ 🙂", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := detect(tt.text); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

type fixture struct {
	line int
	cues grooming.Set // positives: the cue; look-alikes: the cues allowed
	text string
}

func readFixtures(t *testing.T, name string) []fixture {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cues, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s:%d: want cues<TAB>text", name, n)
		}
		fx := fixture{line: n, text: text}
		if cues != "-" {
			for c := range strings.SplitSeq(cues, ",") {
				if !slices.Contains(engine.GroomingCues, engine.GroomingCue(c)) {
					t.Fatalf("%s:%d: unknown cue %q", name, n, c)
				}
				fx.cues |= grooming.Of(engine.GroomingCue(c))
			}
		}
		out = append(out, fx)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFixtures runs the longer lists in testdata: every positive line
// carries its cue, and every look-alike at most the cues it allows.
func TestFixtures(t *testing.T) {
	pos := readFixtures(t, "positives.tsv")
	per := map[grooming.Set]int{}
	for _, fx := range pos {
		if got := detect(fx.text); got&fx.cues == 0 {
			t.Errorf("positives.tsv:%d: Detect(%q) = %v, want %v", fx.line, fx.text, got, fx.cues)
		}
		per[fx.cues]++
	}
	for _, c := range engine.GroomingCues {
		if n := per[grooming.Of(c)]; n < 15 {
			t.Errorf("positives.tsv has %d lines for %s, want at least 15", n, c)
		}
	}
	look := readFixtures(t, "lookalikes.tsv")
	for _, fx := range look {
		if got := detect(fx.text); got&^fx.cues != 0 {
			t.Errorf("lookalikes.tsv:%d: Detect(%q) = %v, allowed %v", fx.line, fx.text, got, fx.cues)
		}
	}
	t.Logf("%d positive lines, %d look-alikes", len(pos), len(look))
}

// TestEveryCueReachable: each of the nine cues has a pattern that fires.
func TestEveryCueReachable(t *testing.T) {
	var all grooming.Set
	for _, fx := range readFixtures(t, "positives.tsv") {
		all |= detect(fx.text)
	}
	for _, c := range engine.GroomingCues {
		if !all.Has(c) {
			t.Errorf("no positive line reaches %s", c)
		}
	}
	if all.Len() != len(engine.GroomingCues) {
		t.Errorf("reached %d cues, want %d", all.Len(), len(engine.GroomingCues))
	}
}

func TestSet(t *testing.T) {
	s := grooming.Of(engine.CueMeeting, engine.CueAge, engine.CueAge, "no_such_cue")
	if got, want := s.Cues(), []engine.GroomingCue{engine.CueAge, engine.CueMeeting}; !slices.Equal(got, want) {
		t.Errorf("Cues() = %v, want %v", got, want)
	}
	if s.Len() != 2 || !s.Has(engine.CueAge) || s.Has(engine.CuePhoto) || s.Has("no_such_cue") {
		t.Errorf("Len %d Has(age) %v Has(photo) %v", s.Len(), s.Has(engine.CueAge), s.Has(engine.CuePhoto))
	}
	if got := s.String(); got != "age_question,meeting_offline" {
		t.Errorf("String() = %q", got)
	}
	if grooming.Set(0).Cues() != nil {
		t.Error("the empty set's Cues() is not nil")
	}
	all := grooming.Of(engine.GroomingCues...)
	if !slices.Equal(all.Cues(), engine.GroomingCues) {
		t.Errorf("Of(GroomingCues...).Cues() = %v", all.Cues())
	}
}

// TestExplain: the match names the pattern's cue and spans the words
// that gave it, in code points of the original text.
func TestExplain(t *testing.T) {
	text := "ㅋㅋ 근데 너 몇 살이야? 사@진 보내줘"
	ms := grooming.Explain(textnorm.Normalize(text))
	runes := []rune(text)
	var got []string
	for _, m := range ms {
		got = append(got, string(m.Cue)+"="+string(runes[m.Start:m.End]))
	}
	want := []string{"age_question=몇 살", "photo_request=사@진 보내줘"}
	if !slices.Equal(got, want) {
		t.Errorf("Explain = %v, want %v", got, want)
	}
}

// TestNoAllocation: Detect does not allocate, with or without cues.
func TestNoAllocation(t *testing.T) {
	for _, s := range []string{
		"오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요",
		"I think we should meet the deadline first, then send me the file",
		"너 몇 살이야? 진짜 예쁘다 카톡 아이디 알려줘 부모님한테는 비밀로 하자 데리러 갈게",
	} {
		tx := textnorm.Normalize(s)
		if n := testing.AllocsPerRun(100, func() { grooming.Detect(tx) }); n != 0 {
			t.Errorf("Detect(%q) allocates %v times", s, n)
		}
	}
}

// TestVersion: the version is stable within a build and names the
// patterns, not the run.
func TestVersion(t *testing.T) {
	if v := grooming.Version(); len(v) != 12 || v != grooming.Version() {
		t.Errorf("Version() = %q", v)
	}
}

// checkSet holds for any Set that Detect returns: only the nine cues, in
// order, each once.
func checkSet(t *testing.T, text string, s grooming.Set) {
	t.Helper()
	if s>>len(engine.GroomingCues) != 0 {
		t.Fatalf("Detect(%q) = %b: bits beyond the cues", text, s)
	}
	cs := s.Cues()
	if len(cs) != s.Len() {
		t.Fatalf("Detect(%q): %d cues for %d bits", text, len(cs), s.Len())
	}
	last := -1
	for _, c := range cs {
		i := slices.Index(engine.GroomingCues, c)
		if i <= last {
			t.Fatalf("Detect(%q) = %v: out of GroomingCues order or repeated", text, cs)
		}
		last = i
	}
}

// TestRandomText: Detect never panics and keeps its order on text made
// of pieces of the patterns' own words, noise and obfuscation, in any
// order and spacing.
func TestRandomText(t *testing.T) {
	pieces := []string{
		"몇", "살", "이야", "학교", "어디", "살아", "카톡", "아이디", "번호", "줘", "으로", "와", "갠톡", "ㄱ",
		"사진", "보내줘", "얼굴", "보여줘", "부모님", "한테", "말하지", "마", "비밀", "로", "하자", "선물",
		"사줄게", "너", "진짜", "예쁘다", "만나자", "데리러", "갈게", "우리", "집에", "너무", "안", "영통",
		"how", "old", "are", "you", "send", "me", "a", "pic", "dont", "tell", "our", "secret", "recipe",
		"ill", "buy", "u", "meet", "the", "up", "dm", "snap", "ur", "so", "pretty", "not", "of",
		"ㅅ", "ㅏ", "ㅈ", "ㅣ", "ㄴ", "ㅋㅋ", " ", "  ", ".", "?", "@", "1", "~", "\u200b", "é", "🙂", "\xff",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			if rng.IntN(3) == 0 {
				b.WriteByte(' ')
			}
		}
		s := b.String()
		tx := textnorm.Normalize(s)
		set := grooming.Detect(tx)
		checkSet(t, s, set)
		var fromExplain grooming.Set
		for _, m := range grooming.Explain(tx) {
			fromExplain |= grooming.Of(m.Cue)
			if m.Start < 0 || m.Start >= m.End || m.End > tx.OriginalLen() {
				t.Fatalf("Explain(%q): span [%d,%d) outside [0,%d)", s, m.Start, m.End, tx.OriginalLen())
			}
		}
		if fromExplain != set {
			t.Fatalf("Explain(%q) gives %v, Detect %v", s, fromExplain, set)
		}
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"", "몇 살이야?", "ㅁㅕㅊ ㅅㅏㄹ", "사@진 보.내.줘", "how old r u", "our secret recipe",
		"너~~~~무 예뻐", "\u202e줘내보 진사\u202c", "\xff\xfe", strings.Repeat("너 ", 200),
		strings.Repeat("send me ", 50) + "pics",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tx := textnorm.Normalize(s)
		checkSet(t, s, grooming.Detect(tx))
	})
}
