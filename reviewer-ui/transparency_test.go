package reviewerui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/transparency"
)

func TestTransparencyIsForOperatorsAdminsAndSeniors(t *testing.T) {
	u := newTestUI(t)
	for _, path := range []string{"/ui/transparency", "/ui/transparency/export?format=csv"} {
		t.Run(path, func(t *testing.T) {
			for _, role := range []string{store.RoleOperator, store.RoleAdmin, store.RoleSenior} {
				c := u.signIn(fmt.Sprint(role, len(path)), role)
				if r := c.get(path); r.status != http.StatusOK {
					t.Errorf("%s: status %d", role, r.status)
				}
				if !strings.Contains(c.get("/ui/").body, `href="/ui/transparency"`) {
					t.Errorf("%s: the navigation does not link the report", role)
				}
			}
			for _, roles := range [][]string{{store.RoleModerator}, {store.RoleCounsellor, store.RoleAppeals}} {
				name := fmt.Sprint("m", len(roles), len(path))
				c := u.signIn(name, roles...)
				u.wantDenied(c.get(path), "u-"+name, "transparency_role")
				if strings.Contains(c.get("/ui/").body, `href="/ui/transparency"`) {
					t.Errorf("%v: the navigation links the report", roles)
				}
			}
		})
	}
}

func TestTransparencyPageDrawsTheMonth(t *testing.T) {
	u := newTestUI(t)
	dashboardFigures(t, u)
	op := u.signIn("op", store.RoleOperator)
	r := op.get("/ui/transparency?month=2026-11&lang=en")
	if r.status != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.status, r.body)
	}
	noMissingMessages(t, "transparency", r.body)
	wantCharts(t, r.body, "notices-category", "notices-space", "decisions-category-action", "automated-human", "complaints", "account-restrictions")
	// The month is running (t0 is 2026-11-22): provisional. The seed
	// blocked one message and held two, which reviewers removed; an
	// appeal was overturned.
	for _, want := range []string{"Provisional figures", `href="/ui/transparency/export?month=2026-11&amp;format=csv"`,
		`<option value="2026-11" selected>`, `<option value="2024-12">`, "Automated restrictions by category and action",
		`<th scope="row">Own-initiative restrictions</th><td></td><td class="num">3</td>`,
		`<th scope="row">Decisions reversed</th><td></td><td class="num">1</td>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if ko := op.get("/ui/transparency?month=2026-11&lang=ko"); !strings.Contains(ko.body, "자체 판단에 따른 제한 조치 수") {
		t.Error("the Korean page does not name the figures in Korean")
	}
	for _, bad := range []string{"2026-13", "2026-12", "x", "2026-11&month=2026-10"} {
		if r := op.get("/ui/transparency?month=" + bad); r.status != http.StatusBadRequest {
			t.Errorf("month %s: status %d", bad, r.status)
		}
	}
}

func TestTransparencyDownloads(t *testing.T) {
	u := newTestUI(t)
	dashboardFigures(t, u)
	op := u.signIn("op", store.RoleOperator)
	rep, err := u.store.TransparencyReport(context.Background(), store.Month{Year: 2026, Month: 11}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range transparency.Formats {
		r := op.get("/ui/transparency/export?month=2026-11&format=" + format)
		var want bytes.Buffer
		if err := transparency.Write(&want, rep, format); err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK || r.body != want.String() {
			t.Errorf("%s: status %d, body differs from haechi transparency's:\n%s", format, r.status, r.body)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="haechi-transparency-2026-11.`+format+`"` {
			t.Errorf("%s: Content-Disposition %q", format, cd)
		}
		if r.header.Get("Content-Type") != transparency.ContentType(format) {
			t.Errorf("%s: Content-Type %q", format, r.header.Get("Content-Type"))
		}
		for _, id := range []string{"kim", "lee", "author", "e-p"} {
			if strings.Contains(r.body, id) {
				t.Errorf("%s holds %q", format, id)
			}
		}
	}
	for _, q := range []string{"format=xml&month=2026-11", "month=2026-11", "format=csv&month=2027-01", "format=csv&format=json&month=2026-11"} {
		if r := op.get("/ui/transparency/export?" + q); r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", q, r.status)
		}
	}
}
