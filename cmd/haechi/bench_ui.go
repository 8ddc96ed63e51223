package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	reviewerui "github.com/haechi-tns/haechi/reviewer-ui"
)

func benchUICommand() *cli.Command {
	return &cli.Command{
		Name:  "ui",
		Usage: "server time of the reviewer UI's pages over a big queue, and reviewers working it at once",
		Description: `Fills a fresh store (SQLite, or --database-url) with --cases open cases
in the general queue, each with a content snapshot, and --photo-cases more
whose snapshot holds a 12-megapixel photo, then measures the server time
(handler in process, no network) of the queue page, the queue page with a
filter, the case page, the case page of a photo, and a photo's blurred
preview once rendered (from the cache), --requests times each; and then
--reviewers reviewers at once each claiming, opening and deciding cases
through the UI's own routes, counting errors.`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "cases", Value: 100_000, Usage: "open cases to fill the queue with"},
			&cli.IntFlag{Name: "photo-cases", Value: 20, Usage: "open cases more, each with a 12-megapixel photo"},
			&cli.IntFlag{Name: "requests", Value: 300, Usage: "requests per page measured"},
			&cli.IntFlag{Name: "reviewers", Value: 20, Usage: "reviewers claiming and deciding at once"},
			&cli.IntFlag{Name: "decisions", Value: 20, Usage: "cases each reviewer decides"},
			databaseFlag,
		},
		Action: benchUI,
	}
}

// uiClient is one signed-in reviewer talking to the UI's handler.
type uiClient struct {
	h      http.Handler
	cookie *http.Cookie
	csrf   string
}

func (c *uiClient) do(method, path string, form url.Values) (*httptest.ResponseRecorder, time.Duration) {
	var req *http.Request
	if form != nil {
		form.Set("csrf", c.csrf)
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.AddCookie(c.cookie)
	w := httptest.NewRecorder()
	start := time.Now()
	c.h.ServeHTTP(w, req)
	return w, time.Since(start)
}

func benchUI(c *cli.Context) error {
	ctx := c.Context
	var st *store.Store
	var err error
	if u := c.String("database-url"); u != "" {
		st, err = store.OpenPostgres(ctx, u)
	} else {
		tmp, terr := os.MkdirTemp("", "haechi-bench-ui-")
		if terr != nil {
			return terr
		}
		defer os.RemoveAll(tmp)
		st, err = store.OpenSQLite(ctx, filepath.Join(tmp, store.FileName))
	}
	if err != nil {
		return err
	}
	defer st.Close()

	start := time.Now()
	ids, err := fillCases(ctx, st, c.Int("cases"))
	if err != nil {
		return err
	}
	photos, photoSize, err := fillPhotoCases(ctx, st, c.Int("photo-cases"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "filled %d cases and %d with a photo (%.1f MB) in %s\n", len(ids), len(photos), float64(photoSize)/1e6, time.Since(start).Round(time.Second))

	ui, err := reviewerui.New(reviewerui.Config{Store: st, Accounts: st})
	if err != nil {
		return err
	}
	newReviewer := func(name string) (*uiClient, error) {
		u, err := st.CreateUser(ctx, name, name, []string{store.RoleModerator}, "first password for "+name, "bench", time.Now())
		if err != nil {
			return nil, err
		}
		if err := st.ChangePassword(ctx, u.ID, "first password for "+name, "second password for "+name, "127.0.0.1", time.Now()); err != nil {
			return nil, err
		}
		se, err := st.CreateSession(ctx, u.ID, time.Now())
		if err != nil {
			return nil, err
		}
		return &uiClient{h: ui, cookie: &http.Cookie{Name: "haechi_session", Value: se.Token}, csrf: se.CSRF}, nil
	}
	viewer, err := newReviewer("bench-viewer")
	if err != nil {
		return err
	}
	n := c.Int("requests")
	rng := rand.New(rand.NewPCG(1, 2))
	pages := []struct {
		name string
		path func() string
	}{
		{"queue page", func() string { return "/ui/queues/general" }},
		{"queue page, filtered", func() string { return "/ui/queues/general?category=harassment&space=youth" }},
		{"case page", func() string { return "/ui/cases/" + ids[rng.IntN(len(ids))] }},
	}
	if len(photos) > 0 {
		// The blurred previews are rendered once (tens of milliseconds
		// each) before they are timed: what is timed is answering from
		// the cache, as for every reviewer after the first.
		for _, id := range photos {
			if res, _ := viewer.do(http.MethodGet, "/ui/cases/"+id+"/image/blurred", nil); res.Code != http.StatusOK {
				return fmt.Errorf("blurred preview: status %d", res.Code)
			}
		}
		pages = append(pages, []struct {
			name string
			path func() string
		}{
			{"case page, photo", func() string { return "/ui/cases/" + photos[rng.IntN(len(photos))] }},
			{"blurred preview, cached", func() string { return "/ui/cases/" + photos[rng.IntN(len(photos))] + "/image/blurred" }},
		}...)
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "what\tdatabase\tcases\trequests\tp50\tp95\tmax\t\n")
	for _, p := range pages {
		var lat []time.Duration
		for range n {
			res, took := viewer.do(http.MethodGet, p.path(), nil)
			if res.Code != http.StatusOK {
				return fmt.Errorf("%s: status %d", p.name, res.Code)
			}
			lat = append(lat, took)
		}
		slices.Sort(lat)
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t\n", p.name, st.Dialect(), len(ids), n, pct(lat, 0.5), pct(lat, 0.95), lat[len(lat)-1].Round(time.Microsecond))
	}

	// Reviewers at once: claim, open the case, decide it.
	var mu sync.Mutex
	var claimLat, openLat, decideLat []time.Duration
	errs := map[string]int{}
	var wg sync.WaitGroup
	reviewers := c.Int("reviewers")
	clients := make([]*uiClient, reviewers)
	for i := range clients {
		if clients[i], err = newReviewer(fmt.Sprintf("bench-reviewer-%02d", i)); err != nil {
			return err
		}
	}
	seen := map[string]string{}
	start = time.Now()
	for _, rc := range clients {
		wg.Go(func() {
			for range c.Int("decisions") {
				res, took := rc.do(http.MethodPost, "/ui/queues/general/claim", url.Values{})
				loc := res.Header().Get("Location")
				mu.Lock()
				claimLat = append(claimLat, took)
				mu.Unlock()
				if res.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/cases/") {
					mu.Lock()
					errs[fmt.Sprintf("claim %d", res.Code)]++
					mu.Unlock()
					continue
				}
				id := strings.TrimPrefix(loc, "/ui/cases/")
				mu.Lock()
				if other, dup := seen[id]; dup {
					errs["case claimed twice (also by "+other+")"]++
				}
				seen[id] = rc.cookie.Value[:8]
				mu.Unlock()
				res, took = rc.do(http.MethodGet, loc, nil)
				mu.Lock()
				openLat = append(openLat, took)
				mu.Unlock()
				if res.Code != http.StatusOK {
					mu.Lock()
					errs[fmt.Sprintf("open %d", res.Code)]++
					mu.Unlock()
					continue
				}
				res, took = rc.do(http.MethodPost, loc+"/decide", url.Values{"outcome": {store.OutcomeDismiss}, "ground": {"inclusiveness"}, "reason": {"benign banter"}})
				mu.Lock()
				decideLat = append(decideLat, took)
				if res.Code != http.StatusSeeOther {
					errs[fmt.Sprintf("decide %d", res.Code)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, s := range []struct {
		name string
		lat  []time.Duration
	}{{"claim (concurrent)", claimLat}, {"case page (concurrent)", openLat}, {"decide (concurrent)", decideLat}} {
		if len(s.lat) == 0 {
			continue
		}
		slices.Sort(s.lat)
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t\n", s.name, st.Dialect(), len(ids), len(s.lat), pct(s.lat, 0.5), pct(s.lat, 0.95), s.lat[len(s.lat)-1].Round(time.Microsecond))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%d reviewers decided %d cases in %s (%.0f/s); errors: %v\n",
		reviewers, len(decideLat), elapsed.Round(time.Millisecond), float64(len(decideLat))/elapsed.Seconds(), errs)
	if len(errs) > 0 {
		return fmt.Errorf("errors while reviewers worked at once: %v", errs)
	}
	return nil
}

// fillCases stores n held decisions in the general queue, which opens a
// case (with a content snapshot) for each, and returns the case ids.
func fillCases(ctx context.Context, st *store.Store, n int) ([]string, error) {
	cats := []engine.Category{engine.Insult, engine.Harassment, engine.Hate, engine.Spam, engine.Scam}
	rng := rand.New(rand.NewPCG(7, 7))
	at := time.Now().Add(-48 * time.Hour)
	for start := 0; start < n; start += 1000 {
		var ds []*engine.Decision
		for i := start; i < min(start+1000, n); i++ {
			space := engine.SpaceTypes[rng.IntN(len(engine.SpaceTypes))]
			if space == engine.SpaceYouth && rng.IntN(2) == 0 {
				space = engine.SpacePlaza
			}
			cat := cats[rng.IntN(len(cats))]
			ds = append(ds, &engine.Decision{
				ID: uuid.NewString(), EventID: fmt.Sprintf("bench-ui-%07d", i), EventKind: engine.KindChat, World: "seoul",
				Space: engine.Space{ID: "space-" + string(space), Type: space}, SenderID: fmt.Sprintf("citizen-%d", rng.IntN(20000)),
				Action: engine.ActionHold, Queue: store.QueueGeneral, Categories: []engine.Category{cat},
				RuleIDs: []string{"bench." + string(cat)}, Severity: []string{"low", "medium", "high"}[rng.IntN(3)],
				Reasons:        []engine.Reason{{RuleID: "bench." + string(cat), KO: "검토가 필요합니다.", EN: "Needs review."}},
				PolicyRevision: "bench", DecidedAt: at.Add(time.Duration(i) * time.Second),
				Content: &engine.Content{Kind: engine.KindChat, Text: "벤치마크 메시지 " + fmt.Sprint(i),
					Context: []engine.ContextMessage{{SenderID: "citizen-1", Text: "이전 메시지"}}},
			})
		}
		if _, err := st.SaveDecisions(ctx, ds); err != nil {
			return nil, err
		}
	}
	return openCaseIDs(ctx, st, n)
}

// fillPhotoCases stores n held decisions about images in the general
// queue, each snapshot holding the same 12-megapixel photo (a noisy
// gradient, JPEG at quality 90: about the size a phone's photo is), and
// returns their cases' ids and the photo's size in bytes.
func fillPhotoCases(ctx context.Context, st *store.Store, n int) ([]string, int, error) {
	switch {
	case n <= 0:
		return nil, 0, nil
	case n > 500:
		return nil, 0, fmt.Errorf("--photo-cases %d: at most 500", n)
	}
	const w, h = 4032, 3024
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(3, 3))
	for y := range h {
		for x := range w {
			o := m.PixOffset(x, y)
			noise := uint8(rng.IntN(24))
			m.Pix[o], m.Pix[o+1], m.Pix[o+2], m.Pix[o+3] = uint8(x*200/w)+noise, uint8(y*200/h)+noise, uint8((x+y)*100/(w+h))+noise, 255
		}
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, m, &jpeg.Options{Quality: 90}); err != nil {
		return nil, 0, err
	}
	var ds []*engine.Decision
	for i := range n {
		ds = append(ds, &engine.Decision{
			ID: uuid.NewString(), EventID: fmt.Sprintf("bench-ui-photo-%04d", i), EventKind: engine.KindImage, World: "seoul",
			Space: engine.Space{ID: "space-plaza", Type: engine.SpacePlaza}, SenderID: fmt.Sprintf("citizen-photo-%d", i),
			Action: engine.ActionHold, Queue: store.QueueGeneral, Categories: []engine.Category{engine.Nudity},
			RuleIDs: []string{"bench.nudity"}, Severity: "low",
			Reasons:        []engine.Reason{{RuleID: "bench.nudity", KO: "검토가 필요합니다.", EN: "Needs review."}},
			PolicyRevision: "bench", DecidedAt: time.Now().Add(-time.Hour),
			Content: &engine.Content{Kind: engine.KindImage, ContentType: "image/jpeg", Image: photo.Bytes()},
		})
		if len(ds) == 10 || i == n-1 {
			if _, err := st.SaveDecisions(ctx, ds); err != nil {
				return nil, 0, err
			}
			ds = nil
		}
	}
	// Nudity is the photos' category alone (fillCases uses others).
	page, err := st.ListCases(ctx, store.CaseFilter{Queue: store.QueueGeneral, Category: engine.Nudity, Limit: n})
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, 0, len(page.Cases))
	for _, c := range page.Cases {
		ids = append(ids, c.ID)
	}
	return ids, photo.Len(), nil
}

// openCaseIDs returns the ids of up to n open cases of the general
// queue, in the order ClaimNext takes them.
func openCaseIDs(ctx context.Context, st *store.Store, n int) ([]string, error) {
	var ids []string
	f := store.CaseFilter{Queue: store.QueueGeneral, Limit: 500}
	for len(ids) < n {
		page, err := st.ListCases(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Cases {
			ids = append(ids, c.ID)
		}
		if page.Next == nil || len(page.Cases) == 0 {
			break
		}
		f.After = page.Next
	}
	return ids, nil
}
