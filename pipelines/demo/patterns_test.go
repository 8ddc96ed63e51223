package demo

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// patternSize is large enough for a few dozen of each pattern.
const patternSize = 20000

// patternSample is the sample the pattern tests look at; its start is the
// sample the other tests look at (shared). Generating it is most of the
// tests' time, so it is generated once.
var patternSample = sync.OnceValue(func() []labelled { return sample(7, clock(start), patternSize) })

// complete reports whether a pattern whose last message is event i has had
// time to send all its messages before the sample ended.
func complete(i int) bool { return i < patternSize-200 }

func TestPatternShares(t *testing.T) {
	racetest.Heavy(t)
	cats := map[category]int{}
	for _, s := range patternSample() {
		cats[s.cat]++
	}
	for _, b := range []struct {
		cat    category
		lo, hi float64 // per mille of events
	}{
		{catGrooming, 3, 10},
		{catSpamWave, 3, 10},
		{catPileOn, 3.5, 11},
		{catFlood, 3, 10},
		{catContact, 2, 9},
	} {
		got := 1000 * float64(cats[b.cat]) / patternSize
		t.Logf("%-9s %5.1f ‰ of events", b.cat, got)
		if got < b.lo || got > b.hi {
			t.Errorf("%s: %.1f ‰ of events, want between %.1f and %.1f", b.cat, got, b.lo, b.hi)
		}
	}
}

// TestGrooming: every grooming line is an adult citizen's direct message
// to a minor; a conversation has four lines or more, spread over dozens of
// events, and the minor answers in most.
func TestGrooming(t *testing.T) {
	racetest.Heavy(t)
	type conv struct{ lines, replies, first, last int }
	convs := map[string]*conv{}
	events := patternSample()
	for i, s := range events {
		if s.cat != catGrooming {
			continue
		}
		ev, c := s.ev, s.ev.Chat
		if c == nil || c.Recipient == nil {
			t.Fatalf("event %s: a grooming line that is no direct message", ev.ID)
		}
		if ev.Sender.AgeBand != engine.AgeAdult || ev.Sender.Role != engine.RoleCitizen || !c.Recipient.AgeBand.Minor() {
			t.Errorf("event %s: grooming line from %+v to %+v", ev.ID, ev.Sender, *c.Recipient)
		}
		if want := directID(ev.Sender.ID, c.Recipient.ID); c.ConversationID != want {
			t.Errorf("event %s: conversation %s, want %s", ev.ID, c.ConversationID, want)
		}
		cv := convs[c.ConversationID]
		if cv == nil {
			cv = &conv{first: i}
			convs[c.ConversationID] = cv
		}
		cv.lines++
		cv.last = i
	}
	for _, s := range events {
		if c := s.ev.Chat; c != nil && c.Recipient != nil && convs[c.ConversationID] != nil && s.ev.Sender.AgeBand.Minor() {
			if s.cat != catBenign {
				t.Errorf("event %s: the minor's reply is labelled %s", s.ev.ID, s.cat)
			}
			convs[c.ConversationID].replies++
		}
	}
	var n, answered, span int
	for id, cv := range convs {
		if !complete(cv.last) {
			continue
		}
		n++
		if cv.lines < 4 {
			t.Errorf("conversation %s: %d grooming lines, want at least 4", id, cv.lines)
		}
		if cv.replies > 0 {
			answered++
		}
		span += cv.last - cv.first
	}
	if n < 10 || answered < n/2 {
		t.Errorf("%d grooming conversations, %d answered: want at least 10, most answered", n, answered)
	}
	if n > 0 && span/n < 20 {
		t.Errorf("grooming conversations span %d events on average, want several dozen", span/n)
	}
}

// waveLink finds a spam wave's link and its domain.
var waveLink = regexp.MustCompile(`https://([a-z0-9-]+\.example)/\S+`)

// TestSpamWaves: every post of a wave comes from an account made within a
// day, used for nothing else, and at least five accounts link to the
// wave's domain within two minutes, in near-copies spread over spaces.
func TestSpamWaves(t *testing.T) {
	racetest.Heavy(t)
	type post struct {
		at             time.Time
		sender, domain string
	}
	var posts []post
	texts, places := map[string]map[string]bool{}, map[string]map[string]bool{}
	wavers, others := map[string]bool{}, map[string]bool{}
	for _, s := range patternSample() {
		ev := s.ev
		if s.cat != catSpamWave {
			others[ev.Sender.ID] = true
			continue
		}
		wavers[ev.Sender.ID] = true
		if ev.Chat == nil || ev.Chat.Recipient != nil {
			t.Fatalf("event %s: a spam wave post that is no public chat message", ev.ID)
		}
		if ev.Sender.Role != engine.RoleCitizen || ev.Sender.JoinedAt.IsZero() {
			t.Errorf("event %s: spam wave post from %+v", ev.ID, ev.Sender)
		}
		if age := ev.SentAt.Sub(ev.Sender.JoinedAt); age < 0 || age > 24*time.Hour {
			t.Errorf("event %s: spam wave post from an account %v old", ev.ID, age)
		}
		m := waveLink.FindStringSubmatch(ev.Chat.Text)
		if m == nil {
			t.Errorf("event %s: spam wave post without a link on .example", ev.ID)
			continue
		}
		posts = append(posts, post{ev.SentAt, ev.Sender.ID, m[1]})
		if texts[m[1]] == nil {
			texts[m[1]], places[m[1]] = map[string]bool{}, map[string]bool{}
		}
		texts[m[1]][ev.Chat.Text], places[m[1]][ev.Space.ID] = true, true
	}
	for id := range wavers {
		if others[id] {
			t.Errorf("%s posts in spam waves and elsewhere", id)
		}
	}
	for _, p := range posts {
		senders := map[string]bool{}
		for _, q := range posts {
			if q.domain == p.domain && q.at.Sub(p.at).Abs() <= 2*time.Minute {
				senders[q.sender] = true
			}
		}
		if len(senders) < 5 {
			t.Errorf("%s: %d senders within two minutes of a post at %v, want at least 5", p.domain, len(senders), p.at)
		}
	}
	for d := range texts {
		if len(texts[d]) < 3 || len(places[d]) < 3 {
			t.Errorf("%s: %d texts in %d spaces, want near-copies in several spaces", d, len(texts[d]), len(places[d]))
		}
	}
	if len(texts) < 5 {
		t.Errorf("%d spam waves, want at least 5", len(texts))
	}
}

// TestPileOns: every pile-on message has one target, who at least four
// distinct senders turn on within ten minutes.
func TestPileOns(t *testing.T) {
	racetest.Heavy(t)
	type insult struct {
		at             time.Time
		sender, target string
	}
	var insults []insult
	for _, s := range patternSample() {
		if s.cat != catPileOn {
			continue
		}
		ev := s.ev
		if ev.Chat == nil {
			t.Fatalf("event %s: a pile-on message that is no chat message", ev.ID)
		}
		targets := slices.Clone(ev.Chat.Mentions)
		if r := ev.Chat.Recipient; r != nil && !slices.Contains(targets, r.ID) {
			targets = append(targets, r.ID)
		}
		if len(targets) != 1 || targets[0] == ev.Sender.ID {
			t.Errorf("event %s from %s: targets %v, want one other user", ev.ID, ev.Sender.ID, targets)
			continue
		}
		insults = append(insults, insult{ev.SentAt, ev.Sender.ID, targets[0]})
	}
	targets := map[string]bool{}
	for _, p := range insults {
		targets[p.target] = true
		senders := map[string]bool{}
		for _, q := range insults {
			if q.target == p.target && q.at.Sub(p.at).Abs() <= 10*time.Minute {
				senders[q.sender] = true
			}
		}
		if len(senders) < 4 {
			t.Errorf("%s: %d senders within ten minutes of an insult at %v, want at least 4", p.target, len(senders), p.at)
		}
	}
	if len(targets) < 5 {
		t.Errorf("%d users piled on, want at least 5", len(targets))
	}
}

// TestFloods: a flood is 8 to 15 messages from one sender in one space
// within a minute, the same short text with at most two endings, so that
// it repeats.
func TestFloods(t *testing.T) {
	racetest.Heavy(t)
	type run struct {
		texts      []string
		first, end time.Time
		last       int
	}
	var runs []*run
	open := map[string]*run{} // sender and space → the run going on
	for i, s := range patternSample() {
		if s.cat != catFlood {
			continue
		}
		ev := s.ev
		if ev.Chat == nil || ev.Chat.Recipient != nil {
			t.Fatalf("event %s: a flood message that is no public chat message", ev.ID)
		}
		key := ev.Sender.ID + " " + ev.Space.ID
		r := open[key]
		if r == nil || ev.SentAt.Sub(r.end) > 5*time.Minute {
			r = &run{first: ev.SentAt}
			open[key] = r
			runs = append(runs, r)
		}
		r.texts, r.end, r.last = append(r.texts, ev.Chat.Text), ev.SentAt, i
	}
	n := 0
	for _, r := range runs {
		if !complete(r.last) {
			continue
		}
		n++
		distinct := slices.Compact(slices.Sorted(slices.Values(r.texts)))
		if len(r.texts) < 8 || len(r.texts) > 15 || len(distinct) > 3 {
			t.Errorf("a flood of %d messages, %d distinct: %q", len(r.texts), len(distinct), distinct)
		}
		if p := commonPrefix(distinct); utf8.RuneCountInString(p) < 2 {
			t.Errorf("flood messages %q share no text", distinct)
		}
		if d := r.end.Sub(r.first); d > time.Minute {
			t.Errorf("a flood of %d messages over %v", len(r.texts), d)
		}
	}
	if n < 5 {
		t.Errorf("%d floods, want at least 5", n)
	}
}

// commonPrefix is the longest text all of ss start with.
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			_, size := utf8.DecodeLastRuneInString(p)
			p = p[:len(p)-size]
		}
	}
	return p
}

// TestLookalikes: benign traffic shows what the harmful patterns look like
// from afar, labelled benign.
func TestLookalikes(t *testing.T) {
	racetest.Heavy(t)
	day := 24 * time.Hour
	type said struct{ sender, text string }
	announced := map[said]map[string]bool{} // staff's texts with the city's link → spaces
	repeats := map[said]int{}               // short benign texts → times said in one space
	var counsellors, minorsAsking, mentions, newcomers int
	for _, s := range patternSample() {
		ev := s.ev
		c := ev.Chat
		if c == nil {
			continue
		}
		for _, id := range c.Mentions {
			if id == ev.Sender.ID {
				t.Errorf("event %s: %s mentions themselves", ev.ID, id)
			}
		}
		if s.cat != catBenign {
			continue
		}
		staff := ev.Sender.Role == engine.RoleStaff || ev.Sender.Role == engine.RoleOfficial
		asksGrade := strings.Contains(c.Text, "학년") || strings.Contains(c.Text, "grade") || strings.Contains(c.Text, "몇 살") || strings.Contains(c.Text, "how old")
		switch {
		case staff && strings.Contains(c.Text, "https://www.seoul.go.kr/"):
			k := said{ev.Sender.ID, c.Text}
			if announced[k] == nil {
				announced[k] = map[string]bool{}
			}
			announced[k][ev.Space.ID] = true
		case staff && asksGrade && ev.Space.Type == engine.SpaceYouth:
			counsellors++
		case ev.Sender.AgeBand.Minor() && asksGrade && (len(c.Mentions) > 0 || c.Recipient != nil && c.Recipient.AgeBand.Minor()):
			minorsAsking++
		}
		if len(c.Mentions) > 0 {
			mentions++
		}
		if !ev.Sender.JoinedAt.IsZero() && ev.SentAt.Sub(ev.Sender.JoinedAt) < day {
			newcomers++
		}
		if len([]rune(c.Text)) <= 12 {
			repeats[said{ev.Sender.ID + " " + ev.Space.ID, c.Text}]++
		}
	}
	inMany := 0
	for _, spaces := range announced {
		if len(spaces) >= 5 {
			inMany++
		}
	}
	small := 0
	for _, n := range repeats {
		if n >= 2 && n < 8 {
			small++
		}
	}
	for _, c := range []struct {
		what   string
		n, min int
	}{
		{"announcements with the city's link in five spaces or more", inMany, 2},
		{"counsellors asking a student's grade", counsellors, 5},
		{"minors asking each other's age", minorsAsking, 5},
		{"benign messages mentioning someone", mentions, 50},
		{"benign messages from accounts made within a day", newcomers, 5},
		{"short benign messages said a few times in one space", small, 5},
	} {
		if c.n < c.min {
			t.Errorf("%s: %d, want at least %d", c.what, c.n, c.min)
		}
	}
}
