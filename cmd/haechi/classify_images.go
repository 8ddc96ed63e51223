package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
)

// imageInput is one line of classify --images input.
type imageInput struct {
	ID   string `json:"id"`
	Path string `json:"path"`
	// Space is the type of space the image is posted to; plaza when
	// empty.
	Space engine.SpaceType `json:"space,omitempty"`
}

// imageOutput is one line of classify --images output.
type imageOutput struct {
	ID string `json:"id"`
	// Scores holds the image models' scores (nudity, suggestive); empty
	// while no image model is configured.
	Scores  map[string]float64 `json:"scores"`
	PDQ     *pdqOutput         `json:"pdq,omitempty"`
	Matches []engine.HashMatch `json:"matches"`
	// Text is what the text in the image gave (OCR): the number of words,
	// the evidence of each category it reached at least 0.01 on, the PII
	// types with their boxes, or why it was not read. Never the text.
	Text       *engine.ImageTextEvidence `json:"text,omitempty"`
	Action     engine.Action             `json:"action,omitempty"`
	Categories []engine.Category         `json:"categories,omitempty"`
	RuleIDs    []string                  `json:"rule_ids,omitempty"`
	// Redacted is the copy a redact decision delivers instead of the
	// image: its id (the SHA-256 of its bytes), the boxes filled and,
	// with --redacted-dir, the file it was written to.
	Redacted *redactedOutput `json:"redacted,omitempty"`
	Error    string          `json:"error,omitempty"`
}

type redactedOutput struct {
	ID          string       `json:"id"`
	ContentType string       `json:"content_type"`
	Boxes       []engine.Box `json:"boxes"`
	Path        string       `json:"path,omitempty"`
}

type pdqOutput struct {
	Hash    string `json:"hash"`
	Quality int    `json:"quality"`
}

// classifyImageLine decides one {"id","path"} line as an image uploaded
// to a plaza (or the space type the line's "space" names).
func classifyImageLine(c *cli.Context, k *core, l inputLine) lineResult {
	var in imageInput
	switch {
	case l.tooLong:
		return failLine(c, l.n, "", "line is too long")
	case engine.DecodeJSON(l.line, &in) != nil:
		return failLine(c, l.n, "", "malformed JSON: want {\"id\",\"path\"} and optionally \"space\", exactly")
	case in.ID == "":
		return failLine(c, l.n, "", "id: required")
	case in.Path == "":
		return failLine(c, l.n, in.ID, "path: required")
	}
	data, err := os.ReadFile(in.Path)
	if err != nil {
		return failLine(c, l.n, in.ID, err.Error())
	}
	if in.Space == "" {
		in.Space = engine.SpacePlaza
	}
	ev := &engine.Event{
		ID: in.ID, Kind: engine.KindImage, World: "cli", Space: engine.Space{ID: "cli-" + string(in.Space), Type: in.Space},
		Sender: engine.Party{ID: "cli-user", Role: engine.RoleCitizen}, SentAt: time.Now().UTC(),
		Image: &engine.ImageUpload{Data: data},
	}
	if err := ev.Validate(); err != nil {
		return failLine(c, l.n, in.ID, err.Error())
	}
	r, err := k.images.Analyse(c.Context, engine.ImageInput{Image: ev.Image, Space: ev.Space.Type})
	if err != nil {
		return failLine(c, l.n, in.ID, err.Error())
	}
	sig := &engine.Signals{Scores: engine.Scores{}}
	sig.AddImage(r.ImageResult)
	d, err := k.pipeline.DecideWith(c.Context, ev, sig, engine.UserContext{})
	if err != nil {
		return failLine(c, l.n, in.ID, err.Error())
	}
	out := imageOutput{ID: in.ID, Scores: map[string]float64{}, Matches: r.HashMatches, Action: d.Action, Categories: d.Categories, RuleIDs: d.RuleIDs}
	if ri := d.RedactedImage; ri != nil {
		out.Redacted = &redactedOutput{ID: ri.ID, ContentType: ri.ContentType, Boxes: ri.Boxes}
		if dir := c.Path("redacted-dir"); dir != "" {
			ext := ".png"
			if ri.ContentType == "image/jpeg" {
				ext = ".jpg"
			}
			// Named by the copy's own hash, never by the input's id.
			path := filepath.Join(dir, ri.ID+ext)
			if err := os.WriteFile(path, ri.Data, 0o640); err != nil {
				return failLine(c, l.n, in.ID, "write the redacted copy: "+err.Error())
			}
			out.Redacted.Path = path
		}
	}
	if t := d.ImageText; t != nil {
		out.Text = &engine.ImageTextEvidence{Error: t.Error, Words: t.Words, PII: t.PII}
		for cat, v := range t.Evidence {
			if v >= 0.01 {
				if out.Text.Evidence == nil {
					out.Text.Evidence = engine.Scores{}
				}
				out.Text.Evidence[cat] = round4(v)
			}
		}
	}
	for _, cat := range []engine.Category{engine.Nudity, engine.Suggestive} {
		if v, ok := sig.Scores[cat]; ok {
			out.Scores[string(cat)] = round4(v)
		}
	}
	if out.Matches == nil {
		out.Matches = []engine.HashMatch{}
	}
	if r.Quality > 0 || r.PDQ != ([32]byte{}) {
		out.PDQ = &pdqOutput{Hash: r.PDQ.String(), Quality: r.Quality}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return failLine(c, l.n, in.ID, err.Error())
	}
	return lineResult{line: append(b, '\n')}
}
