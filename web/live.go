package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hotline-city/hotline/internal/pgnotify"
)

// liveHub tells open pages that something changed, so the supervisor board's counts refresh at
// once. With a listener (Deps.Listener) the news goes through PostgreSQL's NOTIFY, so every
// process's pages hear of a change made through any of them; the board also refreshes on a
// timer, for what no page announced.
type liveHub struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
	// changed is told of every change of the tickets (the board feed: it pushes new counts).
	changed func()
}

func newLiveHub() *liveHub { return &liveHub{subs: map[chan string]struct{}{}} }

func (h *liveHub) subscribe() chan string {
	ch := make(chan string, 8)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *liveHub) unsubscribe(ch chan string) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// publish tells every subscriber about topic; a slow subscriber misses it rather than block.
func (h *liveHub) publish(topic string) {
	if topic == "tickets" && h.changed != nil {
		h.changed()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- topic:
		default:
		}
	}
}

// getLiveEvents streams the board's server-sent events: one event named after each topic
// published, "counts" with the counts table whenever a count changed (boardFeed), and a
// comment every 25 seconds to keep proxies from closing the connection.
func (s *Server) getLiveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	hub := s.staff().live
	ch := hub.subscribe()
	defer hub.unsubscribe(ch)
	feed := s.staff().feed
	counts := feed.subscribe(staffFrom(r.Context()), langOf(r))
	defer feed.unsubscribe(counts)
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case topic := <-ch:
			fmt.Fprintf(w, "event: %s\ndata: changed\n\n", topic)
		case ev := <-counts.ch:
			w.Write(ev)
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// liveTopic is the NOTIFY channel that carries live updates between processes.
const liveTopic = "hotline_live"

// publishLive announces topic to the open pages of every process: through NOTIFY when the
// server has a listener (which relays it back to this process's pages too), else to this
// process's pages alone. A failed NOTIFY falls back to the local pages: the others refresh on
// their timer.
func (s *Server) publishLive(ctx context.Context, topic string) {
	if s.Listener == nil {
		s.staff().live.publish(topic)
		return
	}
	if err := pgnotify.Notify(ctx, s.db, liveTopic, topic); err != nil {
		s.log.WarnContext(ctx, "announce a live update to the other processes", "err", err)
		s.staff().live.publish(topic)
	}
}

// relayLive passes the live updates of every process to this process's pages. A gap in the
// notifications (a reconnect) is told as a change of the tickets, which makes pages refresh.
func (s *Server) relayLive(sub *pgnotify.Subscription) {
	for n := range sub.C {
		topic := n.Payload
		if n.Missed || topic == "" {
			topic = "tickets"
		}
		s.staff().live.publish(topic)
	}
}
