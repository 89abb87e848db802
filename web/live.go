package web

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// liveHub tells open pages that something changed, so the supervisor board's counts refresh at
// once. It only reaches pages served by this process; the board also refreshes on a timer, so
// with several processes a change shows within that period.
type liveHub struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
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
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- topic:
		default:
		}
	}
}

// getLiveEvents streams server-sent events: one event named after each topic published, and
// a comment every 25 seconds to keep proxies from closing the connection.
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
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case topic := <-ch:
			fmt.Fprintf(w, "event: %s\ndata: changed\n\n", topic)
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
