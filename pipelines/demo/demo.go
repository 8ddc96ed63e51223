// Package demo generates realistic mixed traffic for the city-hall world:
// chat messages, voice-transcript segments and image uploads from a fixed
// pool of demo users, mostly benign, with a share of profanity, insults,
// hate, threats, scams, personal information, self-harm and spam that Haechi
// should act on, and patterns that only show across messages (grooming
// conversations, spam waves, pile-ons, floods) among benign look-alikes.
// `haechi demo` publishes what it generates; tests use it as a load source.
//
// Every text, name, phone number, address and picture is made up for the
// demo; links point to the reserved example domains or to the city's own
// site. Pictures are abstract drawings; nothing generated is explicit.
package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// World is the world every demo event belongs to.
const World = "seoul-cityhall"

// Traffic mix by count, in percent: the rest of the events are images.
const (
	chatPercent  = 80
	voicePercent = 12
)

// category is the harm a generated text was written to show. It is the
// generator's ground truth, not a classifier's verdict.
type category string

const (
	catBenign    category = "benign"
	catProfanity category = "profanity"
	catInsult    category = "insult"
	catHate      category = "hate"
	catThreat    category = "threat" // harassment and threats
	catScam      category = "scam"
	catPII       category = "pii"
	catSelfHarm  category = "self_harm"
	catSpam      category = "spam"
	// catContact is an adult drawing a minor into private contact. It is
	// only ever sent as a direct message from an adult to a minor.
	catContact category = "contact"
)

// textMix is how often each category is drawn for chat and voice, per mille.
var textMix = []weighted[category]{
	{catBenign, 750},
	{catProfanity, 50},
	{catInsult, 35},
	{catHate, 25},
	{catThreat, 35},
	{catScam, 35},
	{catPII, 30},
	{catSelfHarm, 20},
	{catSpam, 20},
}

// Generator makes demo events; not safe for concurrent use.
type Generator struct {
	// rng draws all content, so that a seed fixes the sequence of texts,
	// senders, spaces and pictures whatever the clock says.
	rng *rand.Rand
	now func() time.Time
	// idBase mixes the seed with the clock at New, so that a rerun with
	// the same seed does not reuse event ids that the store has already
	// seen and would drop as duplicates.
	idBase uint64
	idSeq  uint64

	users    []*user
	minors   []*user
	sessions []*voiceSession

	// Who plays the parts of the scripted patterns (patterns.go): adult
	// citizens, youth counsellors, and staff and officials who announce.
	adults, counsellors, announcers []*user
	// events counts the events made; pending are the scripted messages
	// still to send, by the event number they are due at; nextStart is
	// the event number at which each of patterns starts next.
	events    uint64
	pending   []pending
	nextStart []uint64
	// accountBase and accountSeq make the ids of accounts made for
	// patterns, from the seed alone.
	accountBase, accountSeq uint64
	// history is the last few chat messages of each conversation, sent
	// with the next one as its context, as the world platform does.
	history map[string][]engine.ContextMessage
}

// Demo chat messages carry this many earlier messages of their
// conversation as context; at most maxConversations are remembered.
const (
	contextMessages  = 5
	maxConversations = 2000
)

// New returns a generator seeded with seed (same seed → same sequence, except
// that ids and times follow the clock passed in: SentAt, and JoinedAt, which
// is so long before the clock's first reading that an account's age at each
// event is the same whatever the clock). now is read once here and once per
// event, for SentAt.
func New(seed uint64, now func() time.Time) *Generator {
	users := demoUsers()
	t0 := now()
	g := &Generator{
		rng:    rand.New(rand.NewPCG(seed, 0x6861656368692d64)),
		now:    now,
		idBase: mix64(seed ^ mix64(uint64(t0.UnixNano()))),
		users:  users,
		// "new-acct": apart from the event ids' base, which mixes the
		// seed with the clock.
		accountBase: mix64(seed ^ 0x6e65772d61636374),
	}
	for _, u := range users {
		if u.joinedAgo > 0 {
			// Whole seconds in UTC, as the platform would send it.
			u.party.JoinedAt = t0.UTC().Add(-u.joinedAgo).Truncate(time.Second)
		}
		switch {
		case u.party.AgeBand.Minor():
			g.minors = append(g.minors, u)
		case u.party.Role == engine.RoleCitizen && u.party.AgeBand == engine.AgeAdult:
			g.adults = append(g.adults, u)
		case u.home == engine.SpaceYouth:
			g.counsellors = append(g.counsellors, u)
		}
		if u.isStaff() {
			g.announcers = append(g.announcers, u)
		}
	}
	g.nextStart = make([]uint64, len(patterns))
	for i, p := range patterns {
		g.nextStart[i] = uint64(g.rng.IntN(p.every))
	}
	return g
}

// Next returns the next event. Each event has a fresh unique id
// ("demo-<16 hex digits>") and passes ev.Validate().
func (g *Generator) Next() *engine.Event {
	ev, _ := g.next()
	return ev
}

// NextLabelled returns the next event and what its text was written as:
// "benign", or the harm it shows: profanity, insult, hate, threat, scam,
// pii, self_harm, spam and contact each in the line itself; grooming,
// spam_wave, pile_on and flood in a pattern of messages, where a line may
// be harmless alone:
//
//   - grooming: an adult citizen's direct message in a scripted
//     conversation with a minor (rapport, age and school, flattery, gifts,
//     a photo, secrecy, another app, meeting); the minor's replies are
//     benign.
//   - spam_wave: a near-copy of one text linking to one domain, posted by
//     one of 5–15 accounts made hours before (Sender.JoinedAt), all
//     within a few dozen events.
//   - pile_on: an insult at one user, who 4–8 senders turn on within a
//     few dozen events, by mention (ChatMessage.Mentions) or direct
//     message.
//   - flood: one of 8–15 copies of a short message from one sender in one
//     space, one or two events apart.
//
// A pattern's messages are spread over the events after it starts, among
// ordinary traffic. Benign traffic has look-alikes of each: an
// announcement with the city's link posted in many spaces, a counsellor
// asking a student's grade, minors asking each other's age, thanks
// mentioning someone, a greeting said twice, a new account saying hello.
// Tests use the labels to check that the engine catches the demo's harmful
// lines and patterns and lets the rest through.
func (g *Generator) NextLabelled() (*engine.Event, string) {
	ev, cat := g.next()
	return ev, string(cat)
}

// next returns the next event and the category its text was written for.
// A scripted message that is due takes the place of an ordinary chat
// message, so that the shares of chat, voice and images stay as they were.
func (g *Generator) next() (*engine.Event, category) {
	g.events++
	g.startPatterns()
	switch r := g.rng.IntN(100); {
	case r < chatPercent && g.due():
		return g.sendPending()
	case r < chatPercent:
		return g.chat()
	case r < chatPercent+voicePercent:
		return g.voice()
	default:
		return g.image()
	}
}

// newID returns prefix and 16 hex digits. Ids of one generator never repeat:
// mix64 is a bijection and the sequence number only grows.
func (g *Generator) newID(prefix string) string {
	g.idSeq++
	return fmt.Sprintf("%s%016x", prefix, mix64(g.idBase+g.idSeq))
}

// event returns an event with everything but its payload.
func (g *Generator) event(kind engine.Kind, space engine.Space, from *user, lang string) *engine.Event {
	return &engine.Event{
		ID:     g.newID("demo-"),
		Kind:   kind,
		World:  World,
		Space:  space,
		Sender: from.party,
		Lang:   lang,
		// UTC drops the monotonic reading, so the event survives a JSON
		// round trip unchanged.
		SentAt: g.now().UTC(),
	}
}

// directPercent is the share of chat messages that are direct messages.
const directPercent = 8

func (g *Generator) chat() (*engine.Event, category) {
	from := g.pickUser()
	space := g.pickSpace(from)
	cat := pick(g.rng, textMix)
	msg := &engine.ChatMessage{ConversationID: space.ID}
	if g.rng.IntN(100) < directPercent {
		to := g.pickRecipient(from)
		rcpt := to.party
		msg.Recipient = &rcpt
		msg.ConversationID = directID(from.party.ID, to.party.ID)
		if from.party.AgeBand == engine.AgeAdult && to.party.AgeBand.Minor() && g.rng.IntN(100) < 40 {
			cat = catContact
		}
	}
	lang := g.pickLang(from)
	msg.Text = g.text(cat, space.Type, lang, true)
	ev := g.event(engine.KindChat, space, from, lang)
	ev.Chat = msg
	g.withContext(ev)
	return ev, cat
}

// withContext attaches the conversation's last messages to ev and adds
// ev to them.
func (g *Generator) withContext(ev *engine.Event) {
	if g.history == nil || len(g.history) >= maxConversations {
		g.history = map[string][]engine.ContextMessage{}
	}
	conv := ev.Chat.ConversationID
	prev := g.history[conv]
	if len(prev) > 0 {
		ev.Context = slices.Clone(prev)
	}
	prev = append(prev, engine.ContextMessage{ID: ev.ID, SenderID: ev.Sender.ID, Text: ev.Chat.Text, SentAt: ev.SentAt})
	if len(prev) > contextMessages {
		prev = prev[len(prev)-contextMessages:]
	}
	g.history[conv] = prev
}

// pickRecipient picks someone other than from. Adults write to a minor now
// and then, which is the case policy protects minors in.
func (g *Generator) pickRecipient(from *user) *user {
	if from.party.AgeBand == engine.AgeAdult && g.rng.IntN(100) < 15 {
		return g.minors[g.rng.IntN(len(g.minors))]
	}
	for {
		if to := g.users[g.rng.IntN(len(g.users))]; to != from {
			return to
		}
	}
}

func directID(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "dm-" + a + "-" + b
}

// voiceSession is a voice conversation in progress.
type voiceSession struct {
	id       string
	space    engine.Space
	speakers []*user
	cursorMS int64 // end of the last segment
	left     int   // segments still to come
}

const maxVoiceSessions = 4

// voice returns the next segment of one of a few interleaved sessions,
// starting a session when there is room.
func (g *Generator) voice() (*engine.Event, category) {
	if len(g.sessions) == 0 || len(g.sessions) < maxVoiceSessions && g.rng.IntN(100) < 25 {
		g.sessions = append(g.sessions, g.newSession())
	}
	i := g.rng.IntN(len(g.sessions))
	s := g.sessions[i]
	n := g.rng.IntN(len(s.speakers))
	from := s.speakers[n]
	cat := pick(g.rng, textMix)
	lang := g.pickLang(from)
	transcript := g.text(cat, s.space.Type, lang, false)

	start := s.cursorMS + 150 + g.rng.Int64N(2500)
	// Roughly the time it takes to say it.
	end := start + 400 + int64(len([]rune(transcript)))*70 + g.rng.Int64N(800)
	s.cursorMS = end
	// Most segments are recognised well; a few fall under the 0.6 below
	// which policy holds a block for a person.
	u := g.rng.Float64()
	confidence := float64(int((0.99-0.44*u*u)*100+0.5)) / 100

	ev := g.event(engine.KindVoice, s.space, from, lang)
	ev.Voice = &engine.VoiceSegment{
		SessionID:  s.id,
		Speaker:    fmt.Sprintf("spk_%d", n),
		StartMS:    start,
		EndMS:      end,
		Transcript: transcript,
		Confidence: confidence,
	}
	if s.left--; s.left == 0 {
		g.sessions = slices.Delete(g.sessions, i, i+1)
	}
	return ev, cat
}

func (g *Generator) newSession() *voiceSession {
	host := g.pickUser()
	s := &voiceSession{
		id:       g.newID("demo-voice-"),
		space:    g.pickSpace(host),
		speakers: []*user{host},
		cursorMS: g.rng.Int64N(5000),
		left:     4 + g.rng.IntN(20),
	}
	for range 1 + g.rng.IntN(3) {
		if u := g.pickUserIn(s.space.Type); !slices.Contains(s.speakers, u) {
			s.speakers = append(s.speakers, u)
		}
	}
	return s
}
