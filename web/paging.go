package web

import (
	"net/url"

	"github.com/hotline-city/hotline/tickets"
)

// pageSize is how many tickets a staff list shows at once: a department with tens of thousands
// of open tickets gets its nearest fifty and a link to the next, never the whole queue.
const pageSize = 50

// pager is what a paged list shows under its rows: the total, how many are on this page, and
// the links to the next page (by cursor, keyset) and back to the first.
type pager struct {
	Total   int
	AtLeast bool // Total is a lower bound (tickets.CountCap)
	Shown   int
	ByDue   bool
	Sorted  string // the list's order in words, when neither newest first nor by deadline
	Next    string // URL of the next page; empty on the last
	First   string // URL of the first page; empty on it
}

// newPager describes p, a page of the list at u ordered by deadline when byDue.
func newPager(u *url.URL, p *tickets.Page, byDue bool) *pager {
	pg := &pager{Total: p.Total, AtLeast: p.TotalAtLeast, Shown: len(p.Tickets), ByDue: byDue}
	q := u.Query()
	after := q.Get("after")
	q.Del("after")
	q.Del("offset")
	q.Del("done")
	if after != "" {
		pg.First = pageURL(u.Path, q)
	}
	if p.Next != "" {
		q.Set("after", p.Next)
		pg.Next = pageURL(u.Path, q)
	}
	return pg
}

func pageURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
