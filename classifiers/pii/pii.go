// Package pii finds personal information in Korean and English chat text:
// Korean resident, foreigner and business registration numbers, passport and
// driver's licence numbers, phone numbers, e-mail addresses, payment cards and
// bank accounts. Numbers are validated (calendar dates, checksums, Luhn,
// numbering plans) rather than matched by shape alone, so that prices, dates,
// order numbers and version strings are not reported.
//
// The text classifier calls Detect once per message; the spans feed the
// redact action and the respect-for-privacy rules of the policy.
package pii

import (
	"slices"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
)

// Confidence scores. A span's score says how sure the detector is that the
// text is the personal information its type names; the policy compares it with
// its thresholds, and overlapping candidates are settled by it.
const (
	// Date, gender digit and checksum all agree: a random 13-digit string
	// passes all three about once in 250.
	scoreRRN = 0.97
	// Numbers issued since October 2020 end in a random digit, so a valid
	// date and gender digit with a wrong checksum is still most likely an RRN.
	scoreRRNNoChecksum = 0.75
	// Foreigner numbers are rarer in chat than resident numbers, so the same
	// evidence is worth a little less.
	scoreFRN           = 0.95
	scoreFRNNoChecksum = 0.70

	// A business number's checksum passes for one random number in ten, so
	// the hyphenated 3-2-5 shape and the words around it carry the weight.
	scoreBRNContext = 0.95
	scoreBRN        = 0.88
	scoreBRNBare    = 0.60

	// A letter and eight digits is a common shape for codes of all kinds;
	// only the word "passport" nearby makes it likely.
	scorePassportContext = 0.90
	scorePassport        = 0.50

	// Region code 11-28 in the 2-2-6-2 shape is specific; there is no public
	// checksum to raise it further.
	scoreLicenseContext = 0.95
	scoreLicense        = 0.85
	// Twelve bare digits are only a licence when the text says so.
	scoreLicenseBare = 0.80

	// Mobile prefixes are reserved for mobiles: the shape alone is strong.
	scoreMobile = 0.95
	// Landline area codes are shared with many other numbers (prices, codes).
	scoreLandline = 0.85
	// Without separators a landline is easily an arbitrary ten-digit number.
	scoreLandlineBare = 0.75
	// 050x "safe numbers" forward to a private number but are not one.
	scoreSafeNumber = 0.80
	// Spelling digits as Hangul syllables is done to dodge filters; the
	// spelled number is checked against the mobile numbering plan.
	scoreHangulPhone = 0.90

	scoreEmail = 0.95
	// "name at domain dot com" forms are deliberate, but the words are also
	// ordinary English.
	scoreEmailObfuscated = 0.80

	// Luhn-valid with a known issuer prefix: one random number in ten passes
	// Luhn, so groups typed like a card add confidence.
	scoreCard     = 0.90
	scoreCardBare = 0.85

	// Accounts have no checksum shared by all banks; they are only reported
	// after a banking word, which makes them likely.
	scoreAccount = 0.85
)

// Detector finds personal information in chat text. It holds no state
// between calls: it is immutable after New and safe for concurrent use.
type Detector struct {
	now  func() time.Time
	cues []cue
}

// Option configures a Detector.
type Option func(*Detector)

// WithClock sets the clock that decides whether a registration number's
// birth date lies in the future (then it is not a registration number).
// Tests pass a fixed clock; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(d *Detector) { d.now = now }
}

// New returns a Detector.
func New(opts ...Option) *Detector {
	d := &Detector{now: time.Now}
	for _, o := range opts {
		o(d)
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.cues = compileCues()
	return d
}

// Detect returns the personal information in text, sorted by Start and not
// overlapping: when two candidates overlap, the higher score wins, then the
// longer span. Offsets count Unicode code points of the original text, with
// each byte of invalid UTF-8 counted as one, as a for range loop does. It
// returns nil when nothing is found.
func (d *Detector) Detect(text string) []engine.PIISpan {
	return d.AppendDetect(nil, text)
}

// AppendDetect is Detect that appends the spans to dst and returns the
// extended slice. It allocates nothing when nothing is found and dst has room
// for what is.
func (d *Detector) AppendDetect(dst []engine.PIISpan, text string) []engine.PIISpan {
	s := scanner{d: d, text: text}
	s.scan()
	return s.appendSpans(dst)
}

// found is a detection in byte offsets, before overlaps are settled.
type found struct {
	typ        engine.PIIType
	start, end int
	score      float64
}

// better reports whether f wins over g when they overlap.
func (f found) better(g found) bool {
	if f.score != g.score {
		return f.score > g.score
	}
	return f.end-f.start > g.end-g.start
}

// add records a detection. The first few fit in the scanner, so a message
// with little personal information costs no allocation.
func (s *scanner) add(f found) {
	if s.spill == nil && s.n < len(s.fixed) {
		s.fixed[s.n] = f
		s.n++
		return
	}
	if s.spill == nil {
		s.spill = append(make([]found, 0, 2*len(s.fixed)), s.fixed[:s.n]...)
	}
	s.spill = append(s.spill, f)
}

// appendSpans settles overlaps and appends the survivors to dst in code-point
// offsets.
func (s *scanner) appendSpans(dst []engine.PIISpan) []engine.PIISpan {
	list := s.spill
	if list == nil {
		list = s.fixed[:s.n]
	}
	if len(list) == 0 {
		return dst
	}
	// Detections arrive almost in order (only e-mail local parts and licence
	// region names reach back), so insertion sort is the cheap choice.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].start < list[j-1].start; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	kept := list[:0]
	for _, f := range list {
		if k := len(kept); k > 0 && f.start < kept[k-1].end {
			if f.better(kept[k-1]) {
				kept[k-1] = f
			}
			continue
		}
		kept = append(kept, f)
	}
	dst = slices.Grow(dst, len(kept))
	bytePos, runePos := 0, 0
	for _, f := range kept {
		runePos += utf8.RuneCountInString(s.text[bytePos:f.start])
		start := runePos
		runePos += utf8.RuneCountInString(s.text[f.start:f.end])
		bytePos = f.end
		dst = append(dst, engine.PIISpan{Type: f.typ, Start: start, End: runePos, Score: f.score})
	}
	return dst
}
