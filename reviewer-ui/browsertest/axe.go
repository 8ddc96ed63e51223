package browsertest

import (
	"context"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// AxeViolation is a rule of axe-core that the page breaks, with the
// elements that break it.
type AxeViolation struct {
	ID      string    `json:"id"`     // the rule, such as "image-alt" or "label"
	Impact  string    `json:"impact"` // "serious" or "critical" (the others are not reported)
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
}

// AxeNode is one element that breaks a rule.
type AxeNode struct {
	Target         string `json:"target"` // a CSS selector for the element
	HTML           string `json:"html"`
	FailureSummary string `json:"failureSummary"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s <%s>", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s: %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.FailureSummary, "\n", "\n      "))
	}
	return b.String()
}

// axeRun runs axe-core with its default rules (WCAG 2.x A and AA, and best
// practices) on the whole document, and keeps the violations whose impact
// is serious or critical. Selectors inside shadow roots or frames are
// joined with " >>> ".
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => ({
		id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({
			target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)).join(" >>> "),
			html: n.html,
			failureSummary: n.failureSummary || "",
		})),
	})))`

// AxeViolations runs axe-core on the page as it is now and returns the
// serious and critical violations. axe-core is injected through the
// DevTools protocol, which the page's Content-Security-Policy does not
// restrict, so pages are checked with their real CSP. When
// .deps/axe-core/axe.min.js is missing it skips the test, or fails it when
// CI is set.
func (p *Page) AxeViolations() []AxeViolation {
	p.t.Helper()
	src, err := p.b.axe()
	if err != nil {
		unavailable(p.t, err.Error())
	}
	ctx, cancel := context.WithTimeout(p.ctx, AxeTimeout)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		p.t.Fatalf("browsertest: axe-core: %v", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			p.t.Fatalf("browsertest: inject axe-core: %v", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browsertest: run axe-core: %v", err)
	}
	return vs
}

// CheckAxe fails the test (without stopping it) for each serious or
// critical axe-core violation on the page as it is now, naming the rule,
// the elements and how to fix them. what names the page in the messages.
func (p *Page) CheckAxe(what string) {
	p.t.Helper()
	for _, v := range p.AxeViolations() {
		p.t.Errorf("axe-core on %s: %s", what, v)
	}
}
