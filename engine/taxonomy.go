package engine

import "slices"

// Category is a text or image harm category of the taxonomy (see
// docs/architecture.md, Taxonomy).
// Classifiers score each category in [0,1]; policies compare scores with the
// thresholds in policies/data.json.
type Category string

// Text categories.
const (
	Insult        Category = "insult"
	Profanity     Category = "profanity"
	Hate          Category = "hate"
	Harassment    Category = "harassment"
	Sexual        Category = "sexual"
	SexualMinors  Category = "sexual_minors"
	Threat        Category = "threat"
	SelfHarm      Category = "self_harm"
	Scam          Category = "scam"
	Spam          Category = "spam"
	Impersonation Category = "impersonation"
	// Toxic is the overall abuse score: the highest of the abuse categories.
	// It is derived, never produced by a lexicon entry.
	Toxic Category = "toxic"
)

// PIICategory is the category policy rules about personal information
// name in decisions; PII itself is reported as spans, not scores.
const PIICategory Category = "pii"

// Image categories.
const (
	Nudity     Category = "nudity"
	Suggestive Category = "suggestive"
	HashMatchC Category = "hash_match"
)

// TextCategories lists the text categories in a stable order.
var TextCategories = []Category{
	Insult, Profanity, Hate, Harassment, Sexual, SexualMinors,
	Threat, SelfHarm, Scam, Spam, Impersonation,
}

// AbuseCategories are the categories whose maximum is the Toxic score: the
// ones a message is "flagged" for. Scam, spam and impersonation are policy
// concerns but not abuse of a person, so they do not raise Toxic.
var AbuseCategories = []Category{
	Insult, Profanity, Hate, Harassment, Sexual, SexualMinors, Threat, SelfHarm,
}

// Valid reports whether c is a category of the taxonomy (Toxic included)
// that classifiers score and policies judge. Report-only categories are
// not: see ReportOnly.
func (c Category) Valid() bool {
	switch c {
	case Insult, Profanity, Hate, Harassment, Sexual, SexualMinors, Threat,
		SelfHarm, Scam, Spam, Impersonation, Toxic, Nudity, Suggestive, HashMatchC, PIICategory:
		return true
	}
	return false
}

// Report-only categories: harms a citizen can see and report but no
// classifier scores. They route and rank review cases (the review
// settings in policies/data.json). Only the grooming rules of the policy
// name one in decisions (grooming, from behavioural signals).
const (
	// Grooming is an adult working to gain a child's trust for sexual
	// contact, often before anything sexual is said: private meetings,
	// gifts, secrecy.
	Grooming Category = "grooming"
	// Minors is any other harm to a child or teenager, for a reporter who
	// cannot say which category it is.
	Minors Category = "minors"
	// Other is a harm outside every category; the details say what.
	Other Category = "other"
)

// ReportOnly reports whether c is a report-only category.
func (c Category) ReportOnly() bool { return c == Grooming || c == Minors || c == Other }

// Known reports whether c is any category of the taxonomy: one that
// classifiers score (Valid) or a report-only one. Review cases hold
// known categories.
func (c Category) Known() bool { return c.Valid() || c.ReportOnly() }

// ReportCategories are the categories a citizen may report, in the order
// the in-world API documents them: the text categories, personal
// information, nudity and the report-only categories.
var ReportCategories = []Category{
	Insult, Profanity, Hate, Harassment, Sexual, SexualMinors, Minors, Grooming,
	Threat, SelfHarm, Scam, Spam, Impersonation, PIICategory, Nudity, Other,
}

// reportAliases are names reports may use for a category of the taxonomy.
// "phishing" is scam (the taxonomy's scam is fraud, phishing and illegal
// trade); clients written before that was settled send it.
var reportAliases = map[string]Category{"phishing": Scam}

// ReportCategoryNames lists every category name a report may carry:
// ReportCategories, then the aliases ParseReportCategory resolves.
func ReportCategoryNames() []string {
	names := make([]string, 0, len(ReportCategories)+len(reportAliases))
	for _, c := range ReportCategories {
		names = append(names, string(c))
	}
	for alias := range reportAliases {
		names = append(names, alias)
	}
	slices.Sort(names[len(ReportCategories):])
	return names
}

// ParseReportCategory returns the category a report names, an alias
// resolved; ok is false for a name that is not a report category.
func ParseReportCategory(name string) (c Category, ok bool) {
	if c, ok := reportAliases[name]; ok {
		return c, true
	}
	c = Category(name)
	return c, slices.Contains(ReportCategories, c)
}

// PIIType names a kind of personal information found in text.
type PIIType string

// PII types (see docs/architecture.md, Taxonomy).
const (
	PIIResidentRegistration  PIIType = "kr_rrn"
	PIIForeignerRegistration PIIType = "kr_frn"
	PIIBusinessRegistration  PIIType = "kr_brn"
	PIIPassport              PIIType = "kr_passport"
	PIIDriverLicense         PIIType = "kr_driver_license"
	PIIPhone                 PIIType = "phone"
	PIIEmail                 PIIType = "email"
	PIICard                  PIIType = "card"
	PIIBankAccount           PIIType = "bank_account"
)

// PIISpan is one piece of personal information in a text. Start and End are
// Unicode code-point offsets into the original text, End exclusive, so that
// text[Start:End] in runes is exactly the personal information and nothing
// around it.
type PIISpan struct {
	Type  PIIType `json:"type"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	// Score is the detector's confidence in [0,1]: a validated checksum
	// scores higher than a number that only has the right shape.
	Score float64 `json:"score"`
}

// SumLabels adds an image classifier's per-label scores into moderation
// categories: categories maps each category to the labels that make it up
// (nudity = Porn + Hentai for nsfwjs), scores[i] belongs to labels[i].
func SumLabels(categories map[string][]string, labels []string, scores []float32) map[string]float32 {
	out := make(map[string]float32, len(categories))
	for cat, want := range categories {
		var sum float32
		for _, l := range want {
			for i, name := range labels {
				if name == l {
					sum += scores[i]
				}
			}
		}
		out[cat] = sum
	}
	return out
}

// Principles are the eight principles of the platform's code of ethics
// (the Ministry of Science and ICT's metaverse ethics guidelines), in its
// order: every policy rule names the one it serves, and every decision a
// person makes on a case rests on one.
var Principles = []string{
	"authenticity", "autonomy", "reciprocity", "respect_for_privacy",
	"fairness", "personal_information_protection", "inclusiveness", "responsibility_for_the_future",
}

// Values are the code of ethics' three core values, which the principles
// serve.
var Values = []string{"sincere_identity", "safe_experience", "sustainable_prosperity"}
