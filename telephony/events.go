package telephony

import (
	"sync"
	"time"
)

// Event is what an agent's console hears from the SIP front end.
type Event struct {
	// Type is "screenpop" (the agent answered a call: open the ticket form), "status"
	// (the queue changed the agent's status) or "transfer" (a transfer ended).
	Type      string    `json:"type"`
	CallID    string    `json:"call_id,omitempty"` // the call record's ID
	Caller    string    `json:"caller,omitempty"`
	Extension string    `json:"extension"`
	Status    string    `json:"status,omitempty"`
	Result    string    `json:"result,omitempty"`
	At        time.Time `json:"at"`
}

// hub fans events out to the consoles subscribed to an extension. A console that does not
// keep up loses events rather than holding up the SIP layer.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan Event]struct{}
}

func newHub() *hub { return &hub{subs: make(map[string]map[chan Event]struct{})} }

func (h *hub) publish(ext string, e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[ext] {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns the events for extension ext until cancel is called.
func (s *Server) Subscribe(ext string) (events <-chan Event, cancel func()) {
	ch := make(chan Event, 16)
	h := s.hub
	h.mu.Lock()
	if h.subs[ext] == nil {
		h.subs[ext] = make(map[chan Event]struct{})
	}
	h.subs[ext][ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs[ext], ch)
			if len(h.subs[ext]) == 0 {
				delete(h.subs, ext)
			}
			h.mu.Unlock()
		})
	}
}
