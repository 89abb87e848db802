package telephony

import (
	"errors"
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

// countingTx counts every response sent through it, and sends each to the request's source
// (transport.go): a response too large for UDP is answered 513 instead.
type countingTx struct {
	sip.ServerTransaction
	method sip.RequestMethod
	stats  *sipStats
	req    *sip.Request
	s      *Server
}

func (t *countingTx) Respond(res *sip.Response) error {
	toSource(t.req, res)
	err := t.ServerTransaction.Respond(res)
	if errors.Is(err, sip.ErrUDPMTUCongestion) && t.s != nil {
		t.stats.add(t.method, 513)
		t.s.respondTooLarge(t.req)
		return err
	}
	t.stats.add(t.method, res.StatusCode)
	return err
}
