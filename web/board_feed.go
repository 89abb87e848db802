package web

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// boardFeed pushes the board's counts to the open boards over their live stream, so no board
// polls for them: while any board is open, one goroutine per process reads the counts (city
// wide, once) every interval and at once when a change of the tickets is announced, and sends
// the counts table, rendered in each board's language and narrowed to a department head's own
// row, to the boards when a number changed. The counts change by themselves as deadlines pass,
// hence the interval.
type boardFeed struct {
	s     *Server
	every time.Duration
	poke  chan struct{}

	mu   sync.Mutex
	subs map[*boardSub]struct{}
	stop context.CancelFunc
}

// boardSub is one open board: its language, its department when it sees only its own row (0:
// city wide), and where its pushes go.
type boardSub struct {
	lang string
	dept string
	ch   chan []byte
}

func newBoardFeed(s *Server, every time.Duration) *boardFeed {
	return &boardFeed{s: s, every: every, poke: make(chan struct{}, 1), subs: map[*boardSub]struct{}{}}
}

// subscribe adds an open board of st in lang; the feed runs while any is open.
func (f *boardFeed) subscribe(st *org.Staff, lang string) *boardSub {
	sub := &boardSub{lang: lang, ch: make(chan []byte, 2)}
	if !org.CityWide.Has(st.Role) {
		if d, err := f.s.Org.DepartmentByID(context.Background(), st.DepartmentID); err == nil {
			sub.dept = d.Code
		} else {
			sub.dept = "-" // no row rather than every row
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs[sub] = struct{}{}
	if f.stop == nil {
		ctx, stop := context.WithCancel(context.Background())
		f.stop = stop
		go f.run(ctx)
	}
	return sub
}

func (f *boardFeed) unsubscribe(sub *boardSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, sub)
	if len(f.subs) == 0 && f.stop != nil {
		f.stop()
		f.stop = nil
	}
}

// changed tells the feed the tickets changed: it reads the counts at once.
func (f *boardFeed) changed() {
	select {
	case f.poke <- struct{}{}:
	default:
	}
}

func (f *boardFeed) run(ctx context.Context) {
	tick := time.NewTicker(f.every)
	defer tick.Stop()
	var last []tickets.DepartmentCount
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-f.poke:
		}
		rows, err := f.s.Tickets.DepartmentCounts(ctx, tickets.Actor{Name: "board", Role: org.RoleSystem})
		if err != nil {
			if ctx.Err() == nil {
				f.s.log.WarnContext(ctx, "read the board's counts for the open boards", "err", err)
			}
			continue
		}
		if last != nil && slices.Equal(rows, last) {
			continue
		}
		last = rows
		f.push(rows)
	}
}

// push renders rows once per language and department seen, and sends them to every open board;
// a board still busy with the push before misses this one, and gets the next.
func (f *boardFeed) push(rows []tickets.DepartmentCount) {
	f.mu.Lock()
	subs := make([]*boardSub, 0, len(f.subs))
	for sub := range f.subs {
		subs = append(subs, sub)
	}
	f.mu.Unlock()
	rendered := map[[2]string][]byte{}
	for _, sub := range subs {
		key := [2]string{sub.lang, sub.dept}
		ev, ok := rendered[key]
		if !ok {
			mine := rows
			if sub.dept != "" {
				mine = slices.DeleteFunc(slices.Clone(rows), func(r tickets.DepartmentCount) bool { return r.Code != sub.dept })
			}
			ev = f.event(sub.lang, mine)
			rendered[key] = ev
		}
		if ev == nil {
			continue
		}
		select {
		case sub.ch <- ev:
		default:
		}
	}
}

// event is the server-sent event "counts" carrying the board's counts table in lang.
func (f *boardFeed) event(lang string, rows []tickets.DepartmentCount) []byte {
	pt, ok := f.s.staff().pages["staff/board_counts.html"]
	if !ok {
		return nil
	}
	var html bytes.Buffer
	p := &page{Data: boardPage{Stats: rows}, Lang: lang, Now: f.s.Clock.Now(), srv: f.s}
	if err := pt.in(lang).ExecuteTemplate(&html, "content", p); err != nil {
		f.s.log.Error("render the board's counts", "err", err)
		return nil
	}
	var ev bytes.Buffer
	ev.WriteString("event: counts\n")
	for _, line := range strings.Split(strings.TrimRight(html.String(), "\n"), "\n") {
		ev.WriteString("data: ")
		ev.WriteString(line)
		ev.WriteString("\n")
	}
	ev.WriteString("\n")
	return ev.Bytes()
}
