package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var nextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next"`)

// TestListsShowFiftyWithTotalAndNextPage: a department's workbench, the ticket list and the
// API show the first fifty of a queue longer than that with its total, and the next page by
// its cursor holds the rest, each ticket once.
func TestListsShowFiftyWithTotalAndNextPage(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	for i := range 57 {
		e.register(fmt.Sprintf("小区夜间施工噪声扰民 %d", i), "noise", "13800138000", "hrss")
	}
	handler := e.browser("handler-hrss")
	for _, path := range []string{"/workbench", "/tickets?status=dispatched&order=due", "/tickets"} {
		t.Run(path, func(t *testing.T) {
			seen := map[string]bool{}
			r := e.do(handler, "GET", path, nil, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d", path, r.Status)
			}
			if !strings.Contains(r.Body, "共 57 条") {
				t.Errorf("%s shows no total of 57", path)
			}
			first := rowNumbers(r.Body)
			if len(first) != 50 {
				t.Errorf("%s shows %d rows, want the first 50", path, len(first))
			}
			m := nextLink.FindStringSubmatch(r.Body)
			if m == nil {
				t.Fatalf("%s has no next page link", path)
			}
			r = e.do(handler, "GET", html.UnescapeString(m[1]), nil, nil)
			second := rowNumbers(r.Body)
			if r.Status != http.StatusOK || len(second) != 7 || nextLink.MatchString(r.Body) {
				t.Errorf("next page %s: %d with %d rows (next link: %v), want the last 7 and no next", m[1], r.Status, len(second), nextLink.MatchString(r.Body))
			}
			for _, n := range append(first, second...) {
				if seen[n] {
					t.Errorf("ticket %s on two pages", n)
				}
				seen[n] = true
			}
		})
	}

	tok := e.token("handler-hrss")
	r := e.do(nil, "GET", "/api/v1/tickets?status=dispatched&order=due&limit=50", nil, tok)
	m := r.json(t)
	next, _ := m["next"].(string)
	if r.Status != http.StatusOK || len(m["tickets"].([]any)) != 50 || m["total"] != float64(57) || next == "" {
		t.Fatalf("API first page: %d, %d tickets, total %v, next %q", r.Status, len(m["tickets"].([]any)), m["total"], next)
	}
	r = e.do(nil, "GET", "/api/v1/tickets?status=dispatched&order=due&limit=50&after="+url.QueryEscape(next), nil, tok)
	if m = r.json(t); len(m["tickets"].([]any)) != 7 || m["next"] != "" {
		t.Errorf("API second page: %d tickets, next %v, want 7 and none", len(m["tickets"].([]any)), m["next"])
	}
	r = e.do(nil, "GET", "/api/v1/tickets?order=due&after=tomorrow", nil, tok)
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "after") {
		t.Errorf("API with a broken cursor: %d %s, want 400 naming after", r.Status, r.Body)
	}
}

var rowNumber = regexp.MustCompile(`<a href="/tickets/([0-9]{8}-[0-9]+)">`)

func rowNumbers(body string) []string {
	var out []string
	for _, m := range rowNumber.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}
