// Package grooming finds, in one chat message, the moves by which an adult
// draws a child into private contact: the grooming cues of engine
// (engine.GroomingCues). The text classifier (classifiers/textsignals)
// runs it on every message and reports the cues in TextResult.Cues; the
// behaviour tracker gathers them per conversation.
//
// No cue is abusive on its own. "몇 살이야?" is what children ask each
// other all day, friends swap KakaoTalk ids and plan to meet, and a
// compliment is a compliment. The policy weighs the cues of a
// conversation together, and only those an adult sends to a minor: it is
// the run of age question, secrecy, gifts, photos and a meeting in one
// conversation that marks grooming, never one line.
//
// The cues, as this package reads them:
//   - age_question: asks the recipient's age, school grade or year of
//     birth (몇 살이야, 나이가 어떻게 돼, 몇 학년, 중딩이야?, how old are
//     you, what grade are you in).
//   - whereabouts_question: asks which school, neighbourhood or home the
//     recipient is at, whether they are alone there, or their routine
//     after school (어느 학교, 어디 살아, 집에 혼자 있어?, 학원 어디 다녀?,
//     부모님 늦게 오셔?, which school, where do you live, are you home
//     alone, what time do you get home).
//   - contact_request: asks for a phone number, a messenger id or an
//     e-mail address, or gives the sender's own (번호 좀 줘, 카톡 아이디 뭐야,
//     what's your snap, add me on discord, my number is).
//   - platform_move: moves the talk to another app, direct messages or a
//     private room (카톡으로 와, 갠톡 ㄱ, 오픈채팅, 비밀방, dm me, let's move
//     to discord).
//   - photo_request: asks for a picture of the recipient, to exchange
//     pictures or for a video call (사진 보내줘, 얼굴 보여줘, 영통 하자, send
//     me a pic, video call).
//   - secrecy: asks to keep the talk from parents, teachers or friends,
//     calls it a shared secret, gives a cover story or asks to delete it
//     (부모님한테 말하지 마, 둘만의 비밀, 친구 만난다고 해, 대화 지워, don't
//     tell your parents, tell your mom you're at a friend's, delete this
//     chat).
//   - gift_offer: offers gifts, money, gift cards, game currency or items,
//     or to buy something (기프티콘 줄게, 용돈 줄게, 스킨 사줄게, I'll buy
//     you, free robux).
//   - flattery: praises the recipient's looks or maturity, or sets them
//     apart from their peers (너 진짜 예쁘다, 나이에 비해 성숙하다, 프사 보니까
//     예쁘게 생겼더라, 또래랑 달라, you're so pretty, mature for your age,
//     you're not like other kids).
//   - meeting_offline: proposes to meet in person, to pick the recipient
//     up or to come to the sender's home (만나자, 데리러 갈게, 우리 집에
//     와, let's meet up, I can pick you up).
//
// Detect reads text that classifiers/textnorm has normalised, so spacing,
// typed-out jamo, inserted symbols, drawn-out vowels and leetspeak are
// already undone. The patterns (rules.go) are phrases, not words: a cue
// needs the request, not the topic ("사진 보내줘", never "사진"), because a
// cue on every message about photos, schools or gifts would drown the
// conversation-level signal. Precision is bought with recall in places
// the rules name; the figures on ordinary text are in README.md.
package grooming

import (
	"math/bits"
	"strings"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// Set is a set of grooming cues: bit i stands for engine.GroomingCues[i].
// The zero Set is empty.
type Set uint16

// cues is engine.GroomingCues as it was when the package was built: the
// meaning of Set's bits must not change while the program runs.
var cues = [...]engine.GroomingCue{
	engine.CueAge, engine.CueWhereabouts, engine.CueContact, engine.CuePlatformMove, engine.CuePhoto,
	engine.CueSecrecy, engine.CueGift, engine.CueFlattery, engine.CueMeeting,
}

// std is the matcher for the patterns of rules.go, built once.
var std = mustCompile(rules())

func mustCompile(srcs []ruleSource) *matcher {
	m, err := compile(srcs)
	if err != nil {
		panic(err)
	}
	return m
}

// Detect returns the cues the normalised text t shows. It does not
// allocate, and is safe for concurrent use on different Texts. A message
// with no cue costs one trie lookup per letter (see README.md for the
// figures).
func Detect(t *textnorm.Text) Set { return std.detect(t, nil) }

// Match is a pattern that found a cue, and where: [Start, End) in code
// points of the original text, from the first part's first letter to the
// last part's last.
type Match struct {
	Cue        engine.GroomingCue
	Pattern    string
	Start, End int
}

// Explain returns the patterns that found cues in t, in the order they
// completed; a pattern may be listed more than once. It is for people
// (reviewers, and whoever tunes the patterns), not for the hot path: it
// allocates.
func Explain(t *textnorm.Text) []Match {
	var out []Match
	std.detect(t, func(rule, i, j int) {
		src := std.srcs[rule]
		start, end := t.Span(i, j)
		out = append(out, Match{Cue: src.cue, Pattern: src.pat, Start: start, End: end})
	})
	return out
}

// Version identifies the patterns, for the text classifier's version: a
// decision records which patterns found its cues.
func Version() string { return std.version }

// Of returns the set of the given cues; unknown cues are ignored.
func Of(cs ...engine.GroomingCue) Set {
	var s Set
	for _, c := range cs {
		for i, k := range cues {
			if k == c {
				s |= 1 << i
			}
		}
	}
	return s
}

// Has reports whether c is in s.
func (s Set) Has(c engine.GroomingCue) bool { return s&Of(c) != 0 }

// Len returns the number of cues in s.
func (s Set) Len() int { return bits.OnesCount16(uint16(s)) }

// Cues returns the cues of s in engine.GroomingCues order, or nil when s
// is empty; only a non-empty set allocates.
func (s Set) Cues() []engine.GroomingCue {
	if s == 0 {
		return nil
	}
	out := make([]engine.GroomingCue, 0, s.Len())
	for i, c := range cues {
		if s&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// String lists the cues of s, comma-separated.
func (s Set) String() string {
	var b strings.Builder
	for i, c := range s.Cues() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(c))
	}
	return b.String()
}
