package engine

import (
	"context"
	"time"
)

// GroomingCue is one kind of move in the pattern by which an adult draws a
// child into private contact. No cue is abusive on its own ("몇 살이야?" is
// a question children ask each other all day); the policy weighs the
// cues of a conversation together, and only from adults to minors.
type GroomingCue string

// The grooming cues a text classifier reports (TextResult.Cues).
const (
	// CueAge asks the recipient's age, grade or year of birth.
	CueAge GroomingCue = "age_question"
	// CueWhereabouts asks which school, neighbourhood or home the
	// recipient is at, or when they are alone there.
	CueWhereabouts GroomingCue = "whereabouts_question"
	// CueContact asks for a phone number, messenger id or e-mail, or gives
	// the sender's to be contacted on.
	CueContact GroomingCue = "contact_request"
	// CuePlatformMove moves the talk to another app or a private room.
	CuePlatformMove GroomingCue = "platform_move"
	// CuePhoto asks for a picture of the recipient or offers to exchange
	// pictures.
	CuePhoto GroomingCue = "photo_request"
	// CueSecrecy asks to keep the talk from parents, teachers or friends.
	CueSecrecy GroomingCue = "secrecy"
	// CueGift offers gifts, money, game items or gift cards.
	CueGift GroomingCue = "gift_offer"
	// CueFlattery praises the recipient's looks or maturity.
	CueFlattery GroomingCue = "flattery"
	// CueMeeting proposes to meet offline.
	CueMeeting GroomingCue = "meeting_offline"
)

// GroomingCues lists every cue, in the order the policy documents them.
var GroomingCues = []GroomingCue{
	CueAge, CueWhereabouts, CueContact, CuePlatformMove, CuePhoto,
	CueSecrecy, CueGift, CueFlattery, CueMeeting,
}

// TextFingerprint identifies a message's normalised text for repetition
// and wave detection: Exact hashes the normalised letters (0 when there
// are none); Sim is a SimHash of their letter 3-grams, meaningful only
// when HasSim (texts of at least 8 letters). engine/behaviour computes it.
type TextFingerprint struct {
	Exact  uint64
	Sim    uint64
	HasSim bool
}

// BehaviourSignals is what Haechi knows of the pattern an event belongs
// to: counts over the sender's and other senders' recent events, this one
// included, computed by a BehaviourTracker. It holds counts and labels,
// never content.
type BehaviourSignals struct {
	// Rate10s, Rate60s and Rate10m count the sender's events in this space
	// over the last 10 seconds, minute and 10 minutes.
	Rate10s int `json:"rate_10s"`
	Rate60s int `json:"rate_60s"`
	Rate10m int `json:"rate_10m"`
	// Repeats counts the sender's earlier messages in this space, within
	// the repeat window, with the same normalised text; NearRepeats those
	// that are near-copies, exact repeats included.
	Repeats     int `json:"repeats"`
	NearRepeats int `json:"near_repeats"`
	// WaveSenders counts the distinct senders, this one included, who
	// posted a near-copy of the text within the wave window anywhere in
	// the world; 0 for texts too short to compare.
	WaveSenders int `json:"wave_senders"`
	// DomainSenders counts, for each registrable domain the text links
	// to, the distinct senders who linked to it within the domain window,
	// this one included.
	DomainSenders map[string]int `json:"domain_senders,omitempty"`
	// AccountAgeHours is how long ago the sender's account was created,
	// in whole hours; -1 when the platform did not say.
	AccountAgeHours int `json:"account_age_hours"`
	// PileOnSenders is, over the event's targets (its recipient and the
	// users it mentions), the most distinct other senders whose messages
	// at one target were found abusive within the pile-on window.
	PileOnSenders int `json:"pile_on_senders"`
	// Grooming is the history of grooming cues from this sender to this
	// recipient (a direct message), or in this youth space; nil when the
	// sender is known to be a minor or the event is neither.
	Grooming *GroomingHistory `json:"grooming,omitempty"`
}

// The floors of the behavioural counts: below every one of them no pattern
// is under way. A message whose counts are all below them (and that shows
// no grooming cue, in a conversation without one) is not Notable, and the
// policy skips its pattern rules; engine/policy refuses a bundle whose
// pattern rules would fire below the floors, so the shortcut never
// changes a decision. They sit well under the thresholds of
// policies/data.json (floods at 8-10 a 10 s, 24-30 a minute and a fourth
// copy; waves and domains from 3-5 senders) and above what ordinary chat
// shows, so that an ordinary message costs one rule.
const (
	// FloorRate10s and FloorRate60s: a few messages a minute is chat.
	FloorRate10s = 4
	FloorRate60s = 8
	// FloorNearRepeats: saying something twice is no flood.
	FloorNearRepeats = 2
	// FloorWaveSenders and FloorDomainSenders: two people saying the same
	// or linking the same site is no campaign.
	FloorWaveSenders   = 3
	FloorDomainSenders = 3
	// FloorNewAccountHours: an account older than a week is not new.
	FloorNewAccountHours = 7 * 24
	// FloorPileOnSenders: nobody else attacked the target.
	FloorPileOnSenders = 1
)

// Notable reports whether some count is at or past its floor, or the
// event (cues) or its conversation shows a grooming cue.
func (b *BehaviourSignals) Notable(cues []GroomingCue) bool {
	return b.notable(cues, true)
}

// NotableBesidesWave is Notable with the wave's senders left out: a
// near-copy of the text from many senders, and nothing else past a floor.
func (b *BehaviourSignals) NotableBesidesWave(cues []GroomingCue) bool {
	return b.notable(cues, false)
}

func (b *BehaviourSignals) notable(cues []GroomingCue, wave bool) bool {
	if len(cues) > 0 || b.Grooming != nil && len(b.Grooming.Cues) > 0 {
		return true
	}
	if b.Rate10s >= FloorRate10s || b.Rate60s >= FloorRate60s ||
		b.NearRepeats >= FloorNearRepeats || b.Repeats >= FloorNearRepeats ||
		wave && b.WaveSenders >= FloorWaveSenders || b.PileOnSenders >= FloorPileOnSenders ||
		b.AccountAgeHours >= 0 && b.AccountAgeHours < FloorNewAccountHours {
		return true
	}
	for _, n := range b.DomainSenders {
		if n >= FloorDomainSenders {
			return true
		}
	}
	return false
}

// GroomingHistory is what a conversation has shown so far.
type GroomingHistory struct {
	// Cues are the distinct cues seen within the grooming window, this
	// event's included, in GroomingCues order.
	Cues []GroomingCue `json:"cues"`
	// Messages counts the sender's messages in the conversation within
	// the window, this one included; CueMessages those with a cue.
	Messages    int `json:"messages"`
	CueMessages int `json:"cue_messages"`
	// Days counts the distinct days (UTC) with a cue.
	Days int `json:"days"`
}

// BehaviourTracker keeps the state behind behavioural signals. Observe
// records an event and returns its signals; Record tells the tracker how
// the event was decided, for the signals that count judged content (a
// pile-on counts abusive messages only). Implementations are safe for
// concurrent use.
type BehaviourTracker interface {
	Observe(ctx context.Context, ev *Event, sig *Signals) (*BehaviourSignals, error)
	Record(ev *Event, d *Decision)
}

// AccountAgeHours is -1 when joined is unknown, else the whole hours from
// joined to at (never negative).
func AccountAgeHours(joined, at time.Time) int {
	if joined.IsZero() {
		return -1
	}
	return max(0, int(at.Sub(joined)/time.Hour))
}
