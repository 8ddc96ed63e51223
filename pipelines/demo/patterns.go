package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// Behavioural patterns (issue 14) are harms no single message shows: a
// grooming conversation, a spam wave, a pile-on, a flood. Each starts now
// and then as a script of messages written up front and sent over the
// events that follow, among ordinary traffic, the way they would arrive
// from a real world. Benign patterns that look like them (an announcement
// posted in many spaces, a counsellor asking a student's grade, a thank-you
// mentioning someone) start the same way, so that catching the first
// without the second can be measured.

// Categories of the messages of a harmful pattern.
const (
	// catGrooming is an adult's line in a direct conversation with a
	// minor that builds towards private contact; the minor's replies are
	// benign.
	catGrooming category = "grooming"
	// catSpamWave is one post of a wave: near-copies of one text linking
	// to one domain, from many accounts made hours before.
	catSpamWave category = "spam_wave"
	// catPileOn is one of many senders' insults at one user, by mention or
	// direct message.
	catPileOn category = "pile_on"
	// catFlood is one of a run of the same short message from one sender
	// in one space.
	catFlood category = "flood"
)

// pending is a scripted message waiting for its turn.
type pending struct {
	due      uint64 // the event number from which it may be sent
	from     *user
	to       *user // the recipient of a direct message
	space    engine.Space
	mentions []string
	lang     string
	text     string
	cat      category
}

// pattern is a script that starts about once every so many events.
type pattern struct {
	every int
	start func(*Generator)
}

// patterns are the scripts and how often each starts: every events on
// average, for shares of events of about 6 ‰ for each harmful pattern and
// 1–4 ‰ for each look-alike (TestPatternShares).
var patterns = []pattern{
	{1000, (*Generator).startGrooming},
	{2000, (*Generator).startSpamWave},
	{1250, (*Generator).startPileOn},
	{2000, (*Generator).startFlood},
	{4000, (*Generator).startAnnouncement},
	{1600, (*Generator).startCounselling},
	{1000, (*Generator).startOfficialLink},
	{1000, (*Generator).startAgeChat},
	{300, (*Generator).startThanks},
	{1250, (*Generator).startSmallRepeats},
	{2000, (*Generator).startNewcomer},
}

// startPatterns starts the scripts whose turn it is. A script starts
// between half and one and a half times its interval after the last, not
// at random, so that a few thousand events hold about the same number of
// each pattern whatever the seed, and an event without a start costs a
// few comparisons.
func (g *Generator) startPatterns() {
	for i, p := range patterns {
		if g.events >= g.nextStart[i] {
			p.start(g)
			g.nextStart[i] += uint64(p.every/2 + g.rng.IntN(p.every))
		}
	}
}

// schedule queues p behind every message due no later than it, so that
// messages of one script keep their order and ties go first come, first
// served.
func (g *Generator) schedule(p pending) {
	i := len(g.pending)
	for i > 0 && g.pending[i-1].due > p.due {
		i--
	}
	g.pending = slices.Insert(g.pending, i, p)
}

// due reports whether a scripted message is waiting to be sent.
func (g *Generator) due() bool { return len(g.pending) > 0 && g.pending[0].due <= g.events }

// sendPending sends the first message due.
func (g *Generator) sendPending() (*engine.Event, category) {
	p := g.pending[0]
	g.pending = slices.Delete(g.pending, 0, 1)
	ev := g.event(engine.KindChat, p.space, p.from, p.lang)
	if p.from.party.JoinedAt.IsZero() && p.from.joinedAgo > 0 {
		// An account made for this script: it was made joinedAgo before
		// its first post.
		p.from.party.JoinedAt = ev.SentAt.Add(-p.from.joinedAgo).Truncate(time.Second)
		ev.Sender.JoinedAt = p.from.party.JoinedAt
	}
	msg := &engine.ChatMessage{Text: p.text, ConversationID: p.space.ID, Mentions: p.mentions}
	if p.to != nil {
		rcpt := p.to.party
		msg.Recipient = &rcpt
		msg.ConversationID = directID(p.from.party.ID, p.to.party.ID)
	}
	ev.Chat = msg
	g.withContext(ev)
	return ev, p.cat
}

// after returns the event number gap events after at, gap drawn from
// [lo, hi].
func (g *Generator) after(at uint64, lo, hi int) uint64 {
	return at + uint64(lo+g.rng.IntN(hi-lo+1))
}

// line draws one line of pool in lang and fills it as typed chat.
func (g *Generator) line(pool lines, lang string) string {
	ls := pool.in(lang)
	return g.fill(ls[g.rng.IntN(len(ls))], lang, true)
}

// startGrooming scripts an adult citizen's direct conversation with a
// minor: an opener, then three to seven of the later stages in order,
// each a line or two apart, most answered by the minor.
func (g *Generator) startGrooming() {
	adult, minor := g.adults[g.rng.IntN(len(g.adults))], g.minors[g.rng.IntN(len(g.minors))]
	lang := adult.lang
	stages := []groomStage{stageRapport}
	later := g.rng.Perm(len(groomLines) - 1)[:3+g.rng.IntN(5)]
	slices.Sort(later)
	for _, s := range later {
		stages = append(stages, groomStage(s+1))
	}
	at := g.events
	for _, s := range stages {
		// A direct message is sent from wherever its sender is.
		at = g.after(at, 2, 9)
		g.schedule(pending{due: at, from: adult, to: minor, space: g.pickSpace(adult), lang: lang, text: g.line(groomLines[s], lang), cat: catGrooming})
		if g.rng.IntN(100) < 65 {
			at = g.after(at, 1, 6)
			g.schedule(pending{due: at, from: minor, to: adult, space: g.pickSpace(minor), lang: lang, text: g.line(groomReplies[s], lang), cat: catBenign})
		}
	}
}

// startSpamWave scripts five to fifteen new accounts posting near-copies
// of one text with a link to one domain, in spaces all over the world,
// within a few dozen events; a quarter of them post twice.
func (g *Generator) startSpamWave() {
	lang := "ko"
	if g.rng.IntN(100) < 30 {
		lang = "en"
	}
	w := wave{
		tmpl:   g.any(waveTemplates.in(lang)),
		domain: fmt.Sprintf("%s-%d.example", g.any(waveHosts), 10+g.rng.IntN(90)),
		item:   g.oneOf(lang == "en", itemsKo, itemsEn),
	}
	accounts := make([]*user, 5+g.rng.IntN(11))
	for i := range accounts {
		accounts[i] = g.newAccount(lang, 10*time.Minute+time.Duration(g.rng.IntN(6*60))*time.Minute)
	}
	at := g.events
	post := func(u *user) {
		at = g.after(at, 1, 4)
		g.schedule(pending{due: at, from: u, space: g.anySpace(), lang: lang, text: g.waveCopy(&w, lang), cat: catSpamWave})
	}
	for _, u := range accounts {
		post(u)
	}
	for _, u := range accounts {
		if g.rng.IntN(4) == 0 {
			post(u)
		}
	}
}

// startPileOn scripts four to eight users turning on one: the target says
// something ordinary in a space, then each insults them once or twice,
// mostly there with a mention, sometimes by direct message.
func (g *Generator) startPileOn() {
	target := g.pickUser()
	space := g.pickSpace(target)
	at := g.after(g.events, 1, 3)
	lang := g.pickLang(target)
	g.schedule(pending{due: at, from: target, space: space, lang: lang, text: g.text(catBenign, space.Type, lang, true), cat: catBenign})

	attackers := make([]*user, 0, 8)
	for n := 4 + g.rng.IntN(5); len(attackers) < n; {
		u := g.pickUserIn(space.Type)
		if u != target && !u.isStaff() && !slices.Contains(attackers, u) {
			attackers = append(attackers, u)
		}
	}
	id := target.party.ID
	insult := func(u *user) {
		at = g.after(at, 1, 6)
		lang := g.pickLang(u)
		p := pending{due: at, from: u, space: space, lang: lang, text: g.line(pileOnLines, lang), cat: catPileOn}
		switch r := g.rng.IntN(100); {
		case r < 30:
			p.to = target
		case r < 65:
			p.mentions, p.text = []string{id}, "@"+id+" "+p.text
		default:
			p.mentions = []string{id}
		}
		g.schedule(p)
	}
	for _, u := range attackers {
		insult(u)
	}
	for _, u := range attackers {
		if g.rng.IntN(100) < 40 {
			insult(u)
		}
	}
}

// startFlood scripts one user sending the same short message eight to
// fifteen times in one space, one or two events apart: the message as it
// is or with one or two endings, so that it repeats exactly.
func (g *Generator) startFlood() {
	u := g.pickUser()
	for u.isStaff() {
		u = g.pickUser()
	}
	space, lang := g.pickSpace(u), g.pickLang(u)
	base := g.any(floodLines.in(lang))
	endings := floodEndings.in(lang)
	variants := []string{base, base + g.any(endings), base + g.any(endings)}
	at := g.events
	for range 8 + g.rng.IntN(8) {
		at = g.after(at, 1, 2)
		g.schedule(pending{due: at, from: u, space: space, lang: lang, text: g.any(variants), cat: catFlood})
	}
}

// startAnnouncement scripts a staff member or official posting one
// announcement, with a link to the city's site, in five to ten spaces, and
// a few people thanking them for it.
func (g *Generator) startAnnouncement() {
	from := g.announcers[g.rng.IntN(len(g.announcers))]
	lang := from.lang
	text := g.line(announcements, lang)
	order := g.rng.Perm(len(allSpaces))
	at := g.events
	for _, i := range order[:5+g.rng.IntN(6)] {
		at = g.after(at, 1, 3)
		g.schedule(pending{due: at, from: from, space: allSpaces[i], lang: lang, text: text, cat: catBenign})
	}
	for range g.rng.IntN(5) {
		u := g.pickUser()
		if u == from {
			continue
		}
		at = g.after(at, 2, 10)
		lang := g.pickLang(u)
		g.schedule(pending{
			due: at, from: u, space: allSpaces[order[g.rng.IntN(5)]], lang: lang,
			mentions: []string{from.party.ID}, text: "@" + from.party.ID + " " + g.line(thanksLines, lang), cat: catBenign,
		})
	}
}

// startCounselling scripts a youth counsellor asking a student's grade,
// and perhaps their school or a time for the next session, in the
// counselling room or by direct message, the student answering.
func (g *Generator) startCounselling() {
	staff, minor := g.counsellors[g.rng.IntN(len(g.counsellors))], g.minors[g.rng.IntN(len(g.minors))]
	lang := minor.lang
	space := engine.Space{ID: "youth-counselling", Type: engine.SpaceYouth}
	direct := g.rng.IntN(2) == 0
	at := g.events
	say := func(from, to *user, pool lines) {
		at = g.after(at, 1, 8)
		p := pending{due: at, from: from, space: space, lang: lang, text: g.line(pool, lang), cat: catBenign}
		if direct {
			p.to = to
		}
		g.schedule(p)
	}
	say(staff, minor, counsellorAsks)
	say(minor, staff, gradeAnswers)
	if g.rng.IntN(100) < 70 {
		say(staff, minor, counsellorFollowUps)
		if g.rng.IntN(100) < 70 {
			say(minor, staff, minorThanks)
		}
	}
}

// startOfficialLink has a staff member or official share a page of the
// city's site where they work.
func (g *Generator) startOfficialLink() {
	from := g.announcers[g.rng.IntN(len(g.announcers))]
	if g.rng.IntN(3) == 0 {
		from = g.counsellors[g.rng.IntN(len(g.counsellors))]
	}
	lang := g.pickLang(from)
	g.schedule(pending{due: g.after(g.events, 1, 3), from: from, space: g.pickSpace(from), lang: lang, text: g.line(officialLinks, lang), cat: catBenign})
}

// startAgeChat scripts two minors asking each other's age or grade, in a
// youth space with mentions or by direct message.
func (g *Generator) startAgeChat() {
	a, b := g.minors[g.rng.IntN(len(g.minors))], g.minors[g.rng.IntN(len(g.minors))]
	for b == a {
		b = g.minors[g.rng.IntN(len(g.minors))]
	}
	ids := spaces[engine.SpaceYouth]
	space := engine.Space{ID: ids[g.rng.IntN(len(ids))], Type: engine.SpaceYouth}
	lang := a.lang
	direct := g.rng.IntN(100) < 30
	at := g.events
	say := func(from, to *user, pool lines) {
		at = g.after(at, 1, 8)
		p := pending{due: at, from: from, space: space, lang: lang, text: g.line(pool, lang), cat: catBenign}
		if direct {
			p.to = to
		} else {
			p.mentions = []string{to.party.ID}
		}
		g.schedule(p)
	}
	say(a, b, minorAgeQuestions)
	say(b, a, minorAgeAnswers)
	if g.rng.IntN(2) == 0 {
		say(a, b, minorAgeReplies)
	}
}

// startThanks has someone reply to the last thing another user said in a
// space, mentioning them.
func (g *Generator) startThanks() {
	from := g.pickUser()
	space := g.pickSpace(from)
	prev := g.history[space.ID]
	i := len(prev) - 1
	for i >= 0 && prev[i].SenderID == from.party.ID {
		i--
	}
	if i < 0 {
		return
	}
	id, lang := prev[i].SenderID, g.pickLang(from)
	g.schedule(pending{
		due: g.after(g.events, 1, 3), from: from, space: space, lang: lang,
		mentions: []string{id}, text: "@" + id + " " + g.line(thanksLines, lang), cat: catBenign,
	})
}

// startSmallRepeats has someone say the same short greeting or laugh two or
// three times a while apart: repetition that is not a flood.
func (g *Generator) startSmallRepeats() {
	u := g.pickUser()
	space, lang := g.pickSpace(u), g.pickLang(u)
	text := g.any(smallTalk.in(lang))
	at := g.events
	for range 2 + g.rng.IntN(2) {
		at = g.after(at, 8, 40)
		g.schedule(pending{due: at, from: u, space: space, lang: lang, text: text, cat: catBenign})
	}
}

// startNewcomer has an account made within the hour say hello, now and
// then with a link to the city's site: a new account posting a link that
// is no spam.
func (g *Generator) startNewcomer() {
	lang := "ko"
	if g.rng.IntN(100) < 20 {
		lang = "en"
	}
	u := g.newAccount(lang, 2*time.Minute+time.Duration(g.rng.IntN(50))*time.Minute)
	if g.rng.IntN(2) == 0 {
		u.party.AgeBand = engine.AgeAdult
	}
	space := g.pickSpace(u)
	at := g.after(g.events, 1, 3)
	g.schedule(pending{due: at, from: u, space: space, lang: lang, text: g.line(newcomerLines, lang), cat: catBenign})
	if g.rng.IntN(2) == 0 {
		g.schedule(pending{due: g.after(at, 3, 20), from: u, space: space, lang: lang, text: g.text(catBenign, space.Type, lang, true), cat: catBenign})
	}
}

// newAccount makes a citizen's account, of unknown age band, that was made
// ago before its first post. Its id is drawn from a sequence of the seed,
// so the same seed makes the same accounts.
func (g *Generator) newAccount(lang string, ago time.Duration) *user {
	g.accountSeq++
	return &user{
		party:     engine.Party{ID: fmt.Sprintf("user-%016x", mix64(g.accountBase+g.accountSeq)), Role: engine.RoleCitizen},
		lang:      lang,
		joinedAgo: ago,
	}
}

// anySpace is any space of the world, as a spammer picks them.
func (g *Generator) anySpace() engine.Space { return allSpaces[g.rng.IntN(len(allSpaces))] }

// wave is what the posts of one spam wave share.
type wave struct {
	tmpl   string // a template with [a|b] alternatives and {n}, {item}, {link}
	domain string
	item   string
}

// waveCopy writes one post of w: each [a|b] chosen afresh, a number of its
// own, the link's path varied, sometimes an emoji added or a space doubled
// or dropped, as the copies of a wave differ.
func (g *Generator) waveCopy(w *wave, lang string) string {
	var b strings.Builder
	if g.rng.IntN(3) == 0 {
		b.WriteString(g.any(waveEmoji))
		b.WriteByte(' ')
	}
	for s := w.tmpl; ; {
		open := strings.IndexByte(s, '[')
		if open < 0 {
			b.WriteString(s)
			break
		}
		end := strings.IndexByte(s[open:], ']')
		if end < 0 {
			panic(fmt.Sprintf("demo: unclosed alternative in %q", w.tmpl))
		}
		b.WriteString(s[:open])
		b.WriteString(g.any(strings.Split(s[open+1:open+end], "|")))
		s = s[open+end+1:]
	}
	if g.rng.IntN(3) == 0 {
		b.WriteByte(' ')
		b.WriteString(g.any(waveEmoji))
	}
	link := "https://" + w.domain + "/" + g.any(wavePaths)
	text := strings.NewReplacer("{link}", link, "{item}", w.item).Replace(b.String())
	text = g.fill(text, lang, true)
	if g.rng.IntN(3) == 0 {
		if i := g.spaceAt(text); i >= 0 {
			if g.rng.IntN(2) == 0 {
				text = text[:i] + " " + text[i:]
			} else {
				text = text[:i] + text[i+1:]
			}
		}
	}
	return text
}

// spaceAt is the byte offset of a space in text drawn at random, or -1.
func (g *Generator) spaceAt(text string) int {
	n := strings.Count(text, " ")
	if n == 0 {
		return -1
	}
	k := g.rng.IntN(n)
	i := 0
	for range k + 1 {
		i += strings.IndexByte(text[i:], ' ') + 1
	}
	return i - 1
}

// isStaff reports whether u works for the city.
func (u *user) isStaff() bool {
	return u.party.Role == engine.RoleStaff || u.party.Role == engine.RoleOfficial
}

// allSpaces lists every space of the world, in the order of
// engine.SpaceTypes.
var allSpaces = func() []engine.Space {
	var all []engine.Space
	for _, st := range engine.SpaceTypes {
		for _, id := range spaces[st] {
			all = append(all, engine.Space{ID: id, Type: st})
		}
	}
	return all
}()
