package engine

import (
	"context"
	"errors"
)

// TermMatch is one lexicon entry found in a text. Start and End are
// code-point offsets into the original text, End exclusive.
type TermMatch struct {
	Category Category `json:"category"`
	// Term is the lexicon entry's canonical form; it identifies the entry,
	// it is not a quote of the user's text.
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
	Start  int     `json:"start"`
	End    int     `json:"end"`
}

// Link is a web address found in a text: a URL with a scheme, a bare
// domain name (example.com/promo), or either written to slip past filters
// (hxxp://, example[.]com, naver 닷 com, full-width letters). Start and End
// are code-point offsets into the original text, End exclusive; they cover
// the whole link, path included.
//
// Host and Domain are names, never the path or query, which can carry
// tokens, names or addresses. The policy input carries Host so that the
// allow-list can name single hosts; a decision keeps only Domain (see
// LinkSpan).
type Link struct {
	// Host is the host name in ASCII: lower-case, international labels in
	// punycode (xn--…).
	Host string `json:"host"`
	// Domain is the registrable domain of Host (its public suffix and one
	// label more, by the Public Suffix List: news.seoul.go.kr →
	// seoul.go.kr), in the same form.
	Domain string `json:"domain"`
	// Skeleton is Host in Unicode with look-alike characters folded to the
	// ASCII letters they imitate (Cyrillic а → a, 0 → o, rn → m). It is
	// empty when it equals Host: only a host that looks like another name
	// has one.
	Skeleton string `json:"skeleton,omitempty"`
	// Obfuscated is set when the link was written to dodge filters: hxxp,
	// [.] or (.), a spelled-out dot (dot, 점, 닷), spaces around a dot,
	// full-width or other compatibility letters.
	Obfuscated bool `json:"obfuscated,omitempty"`
	// IDN is set when Host has international (punycode) labels.
	IDN bool `json:"idn,omitempty"`
	// MixedScript is set when a label of Host mixes scripts in a way no
	// language writes (Latin with Cyrillic or Greek, per Unicode TS #39's
	// highly restrictive profile).
	MixedScript bool `json:"mixed_script,omitempty"`
	Start       int  `json:"start"`
	End         int  `json:"end"`
}

// HashMatch is a match of an image's hash against a hash bank.
type HashMatch struct {
	Bank      string `json:"bank"`
	Label     string `json:"label,omitempty"`
	Algorithm string `json:"algorithm"` // "pdq", "md5", "sha256"
	Distance  int    `json:"distance"`
	// Negative banks hold known-good images; a match there argues against
	// blocking.
	Negative bool `json:"negative,omitempty"`
}

// Scores maps categories to scores in [0,1].
type Scores map[Category]float64

// Raise sets s[c] to v if v is higher than what s holds.
func (s Scores) Raise(c Category, v float64) {
	if v > s[c] {
		s[c] = v
	}
}

// TextInput is what a text classifier reads.
type TextInput struct {
	Text string
	Lang string
	// Space is the type of space the text was said in; a classifier may
	// look harder in some (a cascade runs its stronger model on every
	// message in youth spaces).
	Space SpaceType
}

// TextResult is what one text classifier found. Sources holds scores per
// detector inside the classifier ("lexicon", "model"), so that policy can
// weigh them separately.
type TextResult struct {
	// Lang is the language the classifier recognised ("ko", "en"), or
	// empty when it could not tell.
	Lang    string
	Sources map[string]Scores
	// Models holds the probabilities of learned models, by model name.
	// They are not on the policy's score scale: policy compares them with
	// the thresholds it holds for each model (data.models.<name>).
	Models map[string]Scores
	PII    []PIISpan
	Terms  []TermMatch
	// Links are the web addresses in the text, e-mail addresses (PII)
	// excluded; LinkShare is the share of the text's non-space code points
	// that they cover, in [0,1].
	Links     []Link
	LinkShare float64
	// Cues are the grooming cues the text shows, in GroomingCues order.
	Cues []GroomingCue
	// Fingerprint identifies the normalised text (repetition, waves).
	Fingerprint TextFingerprint
}

// TextClassifier scores text. Implementations are safe for concurrent use;
// the pipeline calls ClassifyText once per event with text.
type TextClassifier interface {
	// Name identifies the classifier in decisions ("text").
	Name() string
	// Version identifies the classifier's models and lexicons, so a decision
	// can be traced to what produced it.
	Version() string
	ClassifyText(ctx context.Context, in TextInput) (TextResult, error)
}

// BatchTextClassifier is a TextClassifier that can score several texts at
// once, more cheaply than one by one (a learned model runs one batch).
// ClassifyTexts returns one result per input, in order.
type BatchTextClassifier interface {
	TextClassifier
	ClassifyTexts(ctx context.Context, ins []TextInput) ([]TextResult, error)
}

// ImageResult is what one image classifier found.
type ImageResult struct {
	Sources     map[string]Scores
	HashMatches []HashMatch
	// Analysed names what the classifier examined: "image" for the
	// image's content (a nudity model), "image_hashes" for hash-bank
	// matching, "image_text" for the text in the image (OCR, whether or
	// not it found any). Policy holds images whose content nobody
	// examined, and in some spaces images whose text nobody read.
	Analysed []string
	// Text is what the text in the image gave, when the classifier reads
	// text; see ImageText.
	Text *ImageText
}

// AnalysedImageText is what an image classifier names in Analysed when it
// read the image's text (or found there was none to read).
const AnalysedImageText = "image_text"

// ImageText is what the text classifier found in the text of an image
// (OCR). It never holds the text: only scores, PII types with where they
// are in the image, and a count of words. It is kept apart from the
// image's own scores (Signals.Scores), so the caption's rules and the
// hash and nudity rules see exactly what they saw before images were read.
type ImageText struct {
	// Error, when set, says why the text could not be read ("timeout",
	// "too_large", "failed"); nothing else is set then, and Analysed of the
	// result does not name AnalysedImageText. Policy must not take an
	// unread image for one without text.
	Error string `json:"error,omitempty"`
	// Words is the number of words read; 0 when the text-presence gate
	// found no text or none was read with confidence.
	Words int `json:"words"`
	// Lang is the language the text classifier recognised.
	Lang string `json:"lang,omitempty"`
	// Scores, Sources and Models are as in Signals, for the image's text
	// alone.
	Scores  Scores            `json:"scores,omitempty"`
	Sources map[string]Scores `json:"sources,omitempty"`
	Models  map[string]Scores `json:"models,omitempty"`
	// PII is the personal information in the text, by type, with the
	// boxes of the words it covers.
	PII []ImagePII `json:"pii,omitempty"`
	// Pending is set when the reading was left for later (an image in a
	// space type that does not wait for its text: see
	// WithTextDeferral); nothing else is set then, and the policy sees
	// the image as one whose text was not read.
	Pending bool `json:"pending,omitempty"`
	// RedactionFailed is set by the pipeline when the policy redacted the
	// image and no redacted copy could be made; the policy is asked again
	// with it set (signals.image_text.redaction_failed) and must not
	// redact again.
	RedactionFailed bool `json:"redaction_failed,omitempty"`
}

// ImagePII is one piece of personal information in an image's text: its
// type, the detector's confidence and the pixel boxes of the words it
// covers (what a redacted copy would blur).
type ImagePII struct {
	Type  PIIType `json:"type"`
	Score float64 `json:"score"`
	Boxes []Box   `json:"boxes"`
	// Partial is set when some of its characters lie in no word box the
	// reader gave: filling Boxes would leave part of it readable, so the
	// policy holds the image rather than redact it.
	Partial bool `json:"partial,omitempty"`
}

// Boxed reports whether filling p's boxes would hide all of it.
func (p ImagePII) Boxed() bool { return len(p.Boxes) > 0 && !p.Partial }

// Box is a rectangle of pixels in an image, X1 and Y1 exclusive.
type Box struct {
	X0 int `json:"x0"`
	Y0 int `json:"y0"`
	X1 int `json:"x1"`
	Y1 int `json:"y1"`
}

// ImageInput is what an image classifier reads: the upload, and where it
// was posted (a text classifier reading the image's text looks harder in
// some spaces).
type ImageInput struct {
	Image *ImageUpload
	Space SpaceType
	// Lang is the event's language tag, if the platform sent one.
	Lang string
	// DeferText asks a classifier that reads images' text to leave it
	// for later and report ImageText{Pending: true}: the event is decided
	// at once and again when the text has been read (a follow-up).
	DeferText bool
}

// ErrNotAnalysed is returned by an image classifier that could not look at
// an image (an upload given only by a URI it cannot fetch). The event is
// decided without image signals, which policy must not treat as harmless.
var ErrNotAnalysed = errors.New("image not analysed")

// ImageClassifier scores images. Implementations are safe for concurrent use.
type ImageClassifier interface {
	Name() string
	Version() string
	ClassifyImage(ctx context.Context, in ImageInput) (ImageResult, error)
}

// Signals is everything the classifiers found about one event: the
// evidence the policy decides on.
type Signals struct {
	// Scores holds, per category, the highest score any rule-based source
	// (lexicon, hash banks) gave.
	Scores Scores `json:"scores"`
	// Sources holds the scores of each rule-based source separately.
	Sources map[string]Scores `json:"sources,omitempty"`
	// Models holds learned models' probabilities, by model name; see
	// TextResult.Models.
	Models      map[string]Scores `json:"models,omitempty"`
	PII         []PIISpan         `json:"pii,omitempty"`
	Terms       []TermMatch       `json:"terms,omitempty"`
	HashMatches []HashMatch       `json:"hash_matches,omitempty"`
	// Links and LinkShare are the text's links; see TextResult.
	Links     []Link  `json:"links,omitempty"`
	LinkShare float64 `json:"link_share,omitempty"`
	// Analysed lists what was examined: "text", "image". An image event
	// whose image was not analysed must not be treated as harmless.
	Analysed []string `json:"analysed"`
	// Lang is the text's language: the event's own if it names one, else
	// what the text classifier recognised. Model thresholds depend on it.
	Lang string `json:"lang,omitempty"`
	// Cues are the grooming cues of this event's text.
	Cues []GroomingCue `json:"cues,omitempty"`
	// ImageText is what the text in the event's image gave, when an image
	// classifier read it (see ImageText). Its scores are not in Scores.
	ImageText *ImageText `json:"image_text,omitempty"`
	// Behaviour is the pattern the event belongs to, when the pipeline
	// has a BehaviourTracker.
	Behaviour *BehaviourSignals `json:"behaviour,omitempty"`
	// Fingerprint identifies the normalised text; the tracker reads it.
	Fingerprint TextFingerprint `json:"-"`
}

func (s *Signals) addSources(src map[string]Scores) {
	for name, scores := range src {
		if s.Sources == nil {
			s.Sources = make(map[string]Scores, len(src))
		}
		dst := s.Sources[name]
		if dst == nil {
			dst = make(Scores, len(scores))
			s.Sources[name] = dst
		}
		for c, v := range scores {
			dst.Raise(c, v)
			s.Scores.Raise(c, v)
		}
	}
}

// UserContext is what Haechi knows about a sender's history; the policy
// treats repeat offenders more strictly.
type UserContext struct {
	// Strikes counts the sender's active strikes after decay.
	Strikes int `json:"strikes"`
	// RecentFlags counts decisions in the last 24 hours that did not allow
	// the sender's content, up to MaxRecentFlags.
	RecentFlags int `json:"recent_flags"`
	// Restricted is set while the account is muted or suspended.
	Restricted bool `json:"restricted"`
	// Labels are operator-assigned tags such as "verified_business".
	Labels []string `json:"labels"`
	// Reporters counts the distinct users who reported the sender's
	// content or account within the last 7 days, up to MaxRecentFlags.
	Reporters int `json:"reporters"`
}

// UserContextSource looks up a sender's history. The review-queue store
// implements it; NoUserContext stands in where there is none.
type UserContextSource interface {
	UserContext(ctx context.Context, sender Party) (UserContext, error)
}

// NoUserContext is a UserContextSource that knows nothing about anyone.
type NoUserContext struct{}

// UserContext returns the empty history.
func (NoUserContext) UserContext(context.Context, Party) (UserContext, error) {
	return UserContext{}, nil
}

// MaxRecentFlags caps UserContext.RecentFlags: the policy needs to tell a
// few flags from many, and counting a flooding sender's every decision
// would make each of their messages slower to judge than the last.
const MaxRecentFlags = 100
