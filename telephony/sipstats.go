package telephony

import (
	"strconv"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// The SIP transactions this process answered, by method and status code, for the metrics: a
// rising share of 4xx/5xx to INVITEs is what operations watch.

// SIPCount is how many requests of Method this process answered with Code (its final or,
// for 1xx, provisional responses each counted).
type SIPCount struct {
	Method string
	Code   string
	N      uint64
}

type sipStats struct {
	mu     sync.Mutex
	counts map[[2]string]uint64
}

func (st *sipStats) add(method sip.RequestMethod, code int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.counts == nil {
		st.counts = map[[2]string]uint64{}
	}
	st.counts[[2]string{method.String(), strconv.Itoa(code)}]++
}

// SIPResponses lists the responses this process sent, by method and code.
func (s *Server) SIPResponses() []SIPCount {
	s.sipStats.mu.Lock()
	defer s.sipStats.mu.Unlock()
	out := make([]SIPCount, 0, len(s.sipStats.counts))
	for k, n := range s.sipStats.counts {
		out = append(out, SIPCount{Method: k[0], Code: k[1], N: n})
	}
	return out
}

// countingTx counts every response sent through it.
type countingTx struct {
	sip.ServerTransaction
	method sip.RequestMethod
	stats  *sipStats
}

func (t *countingTx) Respond(res *sip.Response) error {
	t.stats.add(t.method, res.StatusCode)
	return t.ServerTransaction.Respond(res)
}
