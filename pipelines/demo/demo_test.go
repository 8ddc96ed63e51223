package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
	"github.com/haechi-tns/haechi/pipelines"
)

const sampleSize = 5000

var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock returns a fake clock that starts at t and moves 250ms per reading.
func clock(t time.Time) func() time.Time {
	return func() time.Time {
		now := t
		t = t.Add(250 * time.Millisecond)
		return now
	}
}

type labelled struct {
	ev  *engine.Event
	cat category
}

func sample(seed uint64, now func() time.Time, n int) []labelled {
	g := New(seed, now)
	out := make([]labelled, n)
	for i := range out {
		out[i].ev, out[i].cat = g.next()
	}
	return out
}

// shared is the sample most tests look at. Generating it is most of the
// tests' time, under -race especially, so it is generated once, as the
// start of the longer sample the pattern tests look at.
func shared() []labelled { return patternSample()[:sampleSize] }

func TestEventsValidate(t *testing.T) {
	racetest.Heavy(t)
	tests := []struct {
		name   string
		events func() []labelled
	}{
		{"fake clock", shared},
		{"real clock", func() []labelled { return sample(42, time.Now, sampleSize/5) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, s := range tt.events() {
				ev := s.ev
				if err := ev.Validate(); err != nil {
					t.Fatalf("event %d (%s): %v", i, ev.Kind, err)
				}
				if ev.World != World {
					t.Errorf("event %d: world %q", i, ev.World)
				}
				if ev.Lang != "ko" && ev.Lang != "en" {
					t.Errorf("event %d: lang %q", i, ev.Lang)
				}
				if ev.Sender.Role == "" {
					t.Errorf("event %d: sender without a role", i)
				}
				if c := ev.Chat; c != nil && c.Recipient != nil && c.Recipient.ID == ev.Sender.ID {
					t.Errorf("event %d: %s sends a direct message to themselves", i, ev.Sender.ID)
				}
				if c := ev.Chat; c != nil && slices.Contains(c.Mentions, ev.Sender.ID) {
					t.Errorf("event %d: %s mentions themselves", i, ev.Sender.ID)
				}
			}
		})
	}
}

func TestMix(t *testing.T) {
	racetest.Heavy(t)
	events := shared()
	kinds := map[engine.Kind]int{}
	cats := map[category]int{}
	langs := map[string]int{}
	var texts, direct, adultToMinor, minorEvents, minorInYouth, uriOnly int
	for _, s := range events {
		ev := s.ev
		kinds[ev.Kind]++
		langs[ev.Lang]++
		if ev.Sender.AgeBand.Minor() {
			minorEvents++
			if ev.Space.Type == engine.SpaceYouth {
				minorInYouth++
			}
		}
		if ev.Kind == engine.KindImage {
			if ev.Image.URI != "" {
				uriOnly++
			}
			continue
		}
		texts++
		cats[s.cat]++
		toMinor := false
		if c := ev.Chat; c != nil && c.Recipient != nil {
			direct++
			toMinor = ev.Sender.AgeBand == engine.AgeAdult && c.Recipient.AgeBand.Minor()
			if toMinor {
				adultToMinor++
			}
		}
		if s.cat == catContact && !toMinor {
			t.Errorf("event %s: a contact line outside an adult-to-minor direct message", ev.ID)
		}
	}

	share := func(n, of int) float64 { return float64(n) / float64(of) }
	bounds := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"chat", share(kinds[engine.KindChat], sampleSize), 0.77, 0.83},
		{"voice", share(kinds[engine.KindVoice], sampleSize), 0.10, 0.14},
		{"image", share(kinds[engine.KindImage], sampleSize), 0.065, 0.095},
		{"benign text", share(cats[catBenign], texts), 0.71, 0.79},
		// Grooming conversations and pile-ons add direct messages to
		// the 8 % of ordinary chat.
		{"direct messages among texts", share(direct, texts), 0.04, 0.10},
		{"URI-only images", share(uriOnly, kinds[engine.KindImage]), 0.04, 0.18},
		{"minors' events in youth spaces", share(minorInYouth, minorEvents), 0.6, 0.9},
		{"Korean", share(langs["ko"], sampleSize), 0.65, 0.9},
	}
	for _, b := range bounds {
		if b.got < b.lo || b.got > b.hi {
			t.Errorf("%s: share %.3f, want between %.3f and %.3f", b.name, b.got, b.lo, b.hi)
		}
	}
	for _, c := range []category{catProfanity, catInsult, catHate, catThreat, catScam, catPII, catSelfHarm, catSpam} {
		if got := share(cats[c], texts); got < 0.01 || got > 0.08 {
			t.Errorf("category %s: share %.3f of texts, want between 0.01 and 0.08", c, got)
		}
	}
	if adultToMinor == 0 || cats[catContact] == 0 {
		t.Errorf("%d adult-to-minor direct messages, %d contact lines: want some of each", adultToMinor, cats[catContact])
	}
}

func TestDeterminism(t *testing.T) {
	racetest.Heavy(t)
	const n = 1000
	a := sample(3, clock(start), n)

	t.Run("same seed and clock", func(t *testing.T) {
		b := sample(3, clock(start), n)
		for i := range a {
			if !reflect.DeepEqual(a[i].ev, b[i].ev) {
				t.Fatalf("event %d differs:\n%+v\n%+v", i, a[i].ev, b[i].ev)
			}
		}
	})
	t.Run("same seed, another clock", func(t *testing.T) {
		b := sample(3, clock(start.Add(time.Hour)), n)
		for i := range a {
			if a[i].ev.Text() != b[i].ev.Text() || asOfSending(a[i].ev) != asOfSending(b[i].ev) {
				t.Fatalf("event %d: %q from %+v, then %q from %+v", i, a[i].ev.Text(), a[i].ev.Sender, b[i].ev.Text(), b[i].ev.Sender)
			}
			if a[i].ev.ID == b[i].ev.ID {
				t.Fatalf("event %d: id %s reused under another clock", i, a[i].ev.ID)
			}
		}
	})
	t.Run("another seed", func(t *testing.T) {
		b := sample(4, clock(start), n)
		same := 0
		for i := range a {
			if a[i].ev.Text() == b[i].ev.Text() {
				same++
			}
		}
		if same > n/10 {
			t.Errorf("%d of %d texts are the same under another seed", same, n)
		}
	})
}

// sender is who sent an event, with their account's age when they sent it
// in place of the time it was made, which follows the clock.
type sender struct {
	engine.Party
	age time.Duration
}

func asOfSending(ev *engine.Event) sender {
	s := sender{Party: ev.Sender}
	if !s.JoinedAt.IsZero() {
		s.age, s.JoinedAt = ev.SentAt.Sub(s.JoinedAt), time.Time{}
	}
	return s
}

func TestIDsUnique(t *testing.T) {
	racetest.Heavy(t)
	idForm := regexp.MustCompile(`^demo-[0-9a-f]{16}$`)
	seen := map[string]bool{}
	// A rerun with the same seed a second later must not reuse ids either.
	for _, events := range [][]labelled{shared(), sample(7, clock(start.Add(time.Second)), sampleSize/5)} {
		for _, s := range events {
			id := s.ev.ID
			if !idForm.MatchString(id) {
				t.Fatalf("id %q is not demo-<16 hex digits>", id)
			}
			if seen[id] {
				t.Fatalf("id %s repeats", id)
			}
			seen[id] = true
		}
	}
}

func TestImages(t *testing.T) {
	racetest.Heavy(t)
	var inline, uri int
	for _, s := range shared() {
		im := s.ev.Image
		if im == nil {
			continue
		}
		if im.URI != "" {
			uri++
			if !strings.HasPrefix(im.URI, blobBase) || len(im.Data) != 0 || im.SHA256 != "" {
				t.Errorf("event %s: URI-only image %q with %d bytes and sha256 %q", s.ev.ID, im.URI, len(im.Data), im.SHA256)
			}
			continue
		}
		inline++
		sum := sha256.Sum256(im.Data)
		if got := hex.EncodeToString(sum[:]); got != im.SHA256 {
			t.Errorf("event %s: sha256 %s, data hashes to %s", s.ev.ID, im.SHA256, got)
		}
		img, format, err := image.Decode(bytes.NewReader(im.Data))
		if err != nil {
			t.Errorf("event %s: decode: %v", s.ev.ID, err)
			continue
		}
		if want := "image/" + format; im.ContentType != want {
			t.Errorf("event %s: content type %s for a %s image", s.ev.ID, im.ContentType, format)
		}
		if b := img.Bounds(); b.Dx() < minSide || b.Dy() < minSide || b.Dx() > maxWidth || b.Dy() > maxHeight {
			t.Errorf("event %s: image is %dx%d", s.ev.ID, b.Dx(), b.Dy())
		}
	}
	if inline < 200 || uri == 0 {
		t.Errorf("%d inline and %d URI-only images: want plenty of the first and some of the second", inline, uri)
	}
}

func TestVoiceSessions(t *testing.T) {
	racetest.Heavy(t)
	type state struct {
		lastEnd  int64
		speakers map[string]string // speaker label → sender id
		space    engine.Space
	}
	sessions := map[string]*state{}
	for _, s := range shared() {
		v := s.ev.Voice
		if v == nil {
			continue
		}
		st := sessions[v.SessionID]
		if st == nil {
			st = &state{lastEnd: -1, speakers: map[string]string{}, space: s.ev.Space}
			sessions[v.SessionID] = st
		}
		if v.StartMS <= st.lastEnd || v.EndMS <= v.StartMS {
			t.Errorf("session %s: segment %d–%d ms after one ending at %d ms", v.SessionID, v.StartMS, v.EndMS, st.lastEnd)
		}
		st.lastEnd = v.EndMS
		if v.Confidence < 0.55 || v.Confidence > 0.99 {
			t.Errorf("session %s: asr_confidence %v", v.SessionID, v.Confidence)
		}
		if prev, ok := st.speakers[v.Speaker]; ok && prev != s.ev.Sender.ID {
			t.Errorf("session %s: speaker %s is %s and %s", v.SessionID, v.Speaker, prev, s.ev.Sender.ID)
		}
		st.speakers[v.Speaker] = s.ev.Sender.ID
		if s.ev.Space != st.space {
			t.Errorf("session %s moved from %v to %v", v.SessionID, st.space, s.ev.Space)
		}
		// Speech recognisers write swear words plainly, never as jamo.
		if s.cat == catProfanity && strings.ContainsFunc(v.Transcript, isJamo) {
			t.Errorf("voice transcript %q has jamo", v.Transcript)
		}
	}
	if len(sessions) < 20 {
		t.Errorf("%d voice sessions, want at least 20", len(sessions))
	}
}

// isJamo reports whether r is a Hangul compatibility jamo such as ㅅ or ㅂ.
func isJamo(r rune) bool { return r >= 0x3131 && r <= 0x318e }

func TestTypedProfanityIsObfuscated(t *testing.T) {
	racetest.Heavy(t)
	var typed, obfuscated int
	for _, s := range shared() {
		if s.ev.Chat == nil || s.cat != catProfanity || s.ev.Lang != "ko" {
			continue
		}
		typed++
		text := s.ev.Chat.Text
		if strings.ContainsFunc(text, isJamo) || strings.ContainsFunc(text, unicode.IsDigit) || strings.ContainsFunc(text, isLatin) {
			obfuscated++
		}
	}
	if typed == 0 || obfuscated < typed/4 {
		t.Errorf("%d of %d Korean profane chat lines obfuscated, want at least a quarter", obfuscated, typed)
	}
}

func isLatin(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func TestEncodeRoundTrip(t *testing.T) {
	racetest.Heavy(t)
	for _, s := range shared() {
		ev := s.ev
		value, err := pipelines.EncodeEvent(ev)
		if err != nil {
			t.Fatalf("event %s: encode: %v", ev.ID, err)
		}
		got, err := pipelines.DecodeEventMessage(pipelines.DefaultTopics.TopicFor(ev.Kind), value, pipelines.DefaultTopics, 16<<20)
		if err != nil {
			t.Fatalf("event %s: decode: %v", ev.ID, err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Fatalf("event %s changed in a round trip:\n%+v\n%+v", ev.ID, ev, got)
		}
		if key := pipelines.KeyFor(ev); key != ev.Sender.ID {
			t.Fatalf("event %s: key %q", ev.ID, key)
		}
	}
}

// TestPhrasePools checks the pools are as large as promised and that every
// line fills without a placeholder left over, both typed and spoken.
func TestPhrasePools(t *testing.T) {
	racetest.Heavy(t)
	distinct := func(ls ...[]string) int {
		set := map[string]bool{}
		for _, l := range ls {
			for _, s := range l {
				set[s] = true
			}
		}
		return len(set)
	}
	benignKo, benignEn := [][]string{benignGeneral.ko}, [][]string{benignGeneral.en}
	for _, st := range engine.SpaceTypes {
		ls, ok := benignBySpace[st]
		if !ok {
			t.Errorf("no benign lines for space type %s", st)
		}
		if _, ok := spaces[st]; !ok {
			t.Errorf("no spaces of type %s", st)
		}
		benignKo, benignEn = append(benignKo, ls.ko), append(benignEn, ls.en)
	}
	if n := distinct(benignKo...); n < 150 {
		t.Errorf("%d benign Korean lines, want at least 150", n)
	}
	if n := distinct(benignEn...); n < 80 {
		t.Errorf("%d benign English lines, want at least 80", n)
	}
	for c, ls := range abuse {
		if len(ls.ko) == 0 || len(ls.en) == 0 || distinct(ls.ko, ls.en) < 15 {
			t.Errorf("category %s: %d Korean and %d English lines, want both and 15 in all", c, len(ls.ko), len(ls.en))
		}
	}

	g := New(1, clock(start))
	check := func(name, lang string, ls []string) {
		for _, tmpl := range ls {
			for _, typed := range []bool{true, false} {
				var got string
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s: %q: %v", name, tmpl, r)
						}
					}()
					got = g.fill(tmpl, lang, typed)
				}()
				if got == "" || strings.ContainsAny(got, "{}") {
					t.Errorf("%s: %q filled as %q", name, tmpl, got)
				}
			}
		}
	}
	all := map[string]lines{"general": benignGeneral, "captions": captions}
	for st, ls := range benignBySpace {
		all[string(st)] = ls
	}
	for c, ls := range abuse {
		all[string(c)] = ls
	}
	for name, ls := range map[string]lines{
		"pile-on": pileOnLines, "flood": floodLines, "announcements": announcements, "official links": officialLinks,
		"counsellor asks": counsellorAsks, "grade answers": gradeAnswers, "counsellor follow-ups": counsellorFollowUps,
		"minor thanks": minorThanks, "minor age questions": minorAgeQuestions, "minor age answers": minorAgeAnswers,
		"minor age replies": minorAgeReplies, "thanks": thanksLines, "small talk": smallTalk, "newcomer": newcomerLines,
	} {
		all[name] = ls
	}
	if len(groomLines) != int(stageMeeting)+1 || len(groomReplies) != len(groomLines) {
		t.Errorf("%d grooming stages and %d stages of replies, want %d", len(groomLines), len(groomReplies), stageMeeting+1)
	}
	for st := range groomLines {
		all[fmt.Sprintf("grooming stage %d", st)] = groomLines[st]
		all[fmt.Sprintf("grooming reply %d", st)] = groomReplies[st]
		if len(groomLines[st].ko) < 3 || len(groomLines[st].en) < 3 {
			t.Errorf("grooming stage %d: %d Korean and %d English lines, want 3 of each", st, len(groomLines[st].ko), len(groomLines[st].en))
		}
	}
	for _, lang := range []string{"ko", "en"} {
		for _, tmpl := range waveTemplates.in(lang) {
			w := wave{tmpl: tmpl, domain: "promo-deal-42.example", item: "avatar skins"}
			for range 20 {
				got := g.waveCopy(&w, lang)
				if strings.ContainsAny(got, "[]{}|") || !strings.Contains(got, "https://promo-deal-42.example/") {
					t.Errorf("spam wave %q written as %q", tmpl, got)
				}
			}
		}
	}
	for name, ls := range all {
		check(name+"/ko", "ko", ls.ko)
		check(name+"/en", "en", ls.en)
	}
}

// TestUsers checks the pool of demo users the lead's demo relies on.
func TestUsers(t *testing.T) {
	racetest.Heavy(t)
	users := demoUsers()
	if len(users) != numUsers {
		t.Fatalf("%d users", len(users))
	}
	roles := map[engine.Role]int{}
	ages := map[engine.AgeBand]int{}
	for i, u := range users {
		if want := fmt.Sprintf("user-%04d", i+1); u.party.ID != want {
			t.Errorf("user %d has id %s, want %s", i, u.party.ID, want)
		}
		if u.party.AgeBand.Minor() && u.party.Role != engine.RoleCitizen {
			t.Errorf("%s is a minor with role %s", u.party.ID, u.party.Role)
		}
		roles[u.party.Role]++
		ages[u.party.AgeBand]++
	}
	for _, r := range []engine.Role{engine.RoleCitizen, engine.RoleStaff, engine.RoleOfficial, engine.RoleBusiness} {
		if roles[r] == 0 {
			t.Errorf("no user with role %s", r)
		}
	}
	for _, a := range []engine.AgeBand{engine.AgeUnknown, engine.AgeChild, engine.AgeTeen, engine.AgeAdult} {
		if ages[a] == 0 {
			t.Errorf("no user with age band %q", a)
		}
	}
	if !reflect.DeepEqual(users, demoUsers()) {
		t.Error("the user pool differs between calls")
	}
}

// TestChatCarriesItsConversation: chat messages carry the last messages
// of their conversation as context, as the world platform sends them, and
// only messages that were sent before in that conversation.
func TestChatCarriesItsConversation(t *testing.T) {
	racetest.Heavy(t)
	g := New(3, func() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) })
	seen := map[string]map[string]bool{} // conversation → message ids sent
	with := 0
	for range 2000 {
		ev := g.Next()
		if ev.Chat == nil {
			continue
		}
		conv := ev.Chat.ConversationID
		if len(ev.Context) > 0 {
			with++
		}
		if len(ev.Context) > contextMessages {
			t.Fatalf("%d context messages", len(ev.Context))
		}
		for _, m := range ev.Context {
			if !seen[conv][m.ID] {
				t.Fatalf("context message %s was not sent before in %s", m.ID, conv)
			}
		}
		if err := ev.Validate(); err != nil {
			t.Fatal(err)
		}
		if seen[conv] == nil {
			seen[conv] = map[string]bool{}
		}
		seen[conv][ev.ID] = true
	}
	if with < 1000 {
		t.Errorf("only %d chat messages carried context", with)
	}
}

// BenchmarkNext is the cost of one event of the mix, pictures included:
// `haechi demo` publishes thousands a second from one generator.
func BenchmarkNext(b *testing.B) {
	g := New(1, clock(start))
	b.ReportAllocs()
	for b.Loop() {
		g.Next()
	}
}

// BenchmarkChat is the cost of one chat message, the bulk of the mix;
// BenchmarkNext is dominated by drawing pictures.
func BenchmarkChat(b *testing.B) {
	g := New(1, clock(start))
	b.ReportAllocs()
	for b.Loop() {
		g.chat()
	}
}

// TestAccountAges: the pool's accounts are weeks to years old, a few of
// unknown age, and stay the same age through a run.
func TestAccountAges(t *testing.T) {
	racetest.Heavy(t)
	const day = 24 * time.Hour
	joined := map[string]time.Time{}
	var known, unknown int
	for _, s := range shared() {
		ev := s.ev
		if !poolID.MatchString(ev.Sender.ID) {
			continue
		}
		if at, ok := joined[ev.Sender.ID]; ok && !at.Equal(ev.Sender.JoinedAt) {
			t.Fatalf("%s joined at %v, then at %v", ev.Sender.ID, at, ev.Sender.JoinedAt)
		}
		joined[ev.Sender.ID] = ev.Sender.JoinedAt
		if ev.Sender.JoinedAt.IsZero() {
			unknown++
			continue
		}
		known++
		if age := ev.SentAt.Sub(ev.Sender.JoinedAt); age < 14*day || age > 7*365*day {
			t.Errorf("event %s: %s's account is %v old", ev.ID, ev.Sender.ID, age)
		}
	}
	if unknown == 0 || unknown > known/4 {
		t.Errorf("%d events from accounts of known age, %d unknown: want a few unknown", known, unknown)
	}
}

// poolID matches the ids of the demo's pool of users.
var poolID = regexp.MustCompile(`^user-\d{4}$`)

// BenchmarkChatWithPatterns is what Next does for a chat event: start the
// patterns whose turn it is, then send a scripted message if one is due,
// else an ordinary one; against BenchmarkChat, the patterns' cost.
func BenchmarkChatWithPatterns(b *testing.B) {
	g := New(1, clock(start))
	b.ReportAllocs()
	for b.Loop() {
		g.events++
		g.startPatterns()
		if g.due() {
			g.sendPending()
		} else {
			g.chat()
		}
	}
}
