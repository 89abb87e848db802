package intake

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// Submissions are registered in batches while Run runs: a burst of complaints (an app that
// forwards a storm's reports, a campaign) costs the database one transaction and a handful of
// statements per batch instead of per complaint, and each citizen is answered as soon as the
// batch that holds their ticket commits. Nothing waits for a batch to fill: a writer takes
// whatever is queued when it is free, so a lone submission is written at once.
const (
	batchWriters = 2    // batches written at the same time
	batchMax     = 64   // submissions in one batch at most
	batchQueue   = 1024 // submissions waiting at most; beyond, each is registered alone
	batchTimeout = 30 * time.Second
)

// batcher is the queue between Submit and the batch writers.
type batcher struct {
	mu    sync.RWMutex
	open  bool
	queue chan *pending
}

// offer queues p for a batch writer and reports whether it did: not while no writer runs, nor
// when the queue is full.
func (b *batcher) offer(p *pending) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.open {
		return false
	}
	select {
	case b.queue <- p:
		return true
	default:
		return false
	}
}

func (b *batcher) setOpen(open bool) {
	b.mu.Lock()
	b.open = open
	b.mu.Unlock()
}

// Run writes queued submissions in batches until ctx ends. Then it stops taking new ones (they
// are registered one by one again) and writes what was still queued before it returns.
func (s *Service) Run(ctx context.Context) error {
	s.batch.setOpen(true)
	var wg sync.WaitGroup
	for range batchWriters {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case p := <-s.batch.queue:
					s.registerBatch(s.take(p))
				}
			}
		})
	}
	<-ctx.Done()
	s.batch.setOpen(false)
	wg.Wait()
	for {
		select {
		case p := <-s.batch.queue:
			s.registerBatch(s.take(p))
		default:
			return nil
		}
	}
}

// take returns first and whatever else is queued, up to a batch.
func (s *Service) take(first *pending) []*pending {
	ps := []*pending{first}
	for len(ps) < batchMax {
		select {
		case p := <-s.batch.queue:
			ps = append(ps, p)
		default:
			return ps
		}
	}
	return ps
}

// registerBatch registers ps in one transaction and answers each. When the transaction fails
// (two submissions with one idempotency key in the same batch, say), each is registered alone,
// so that one submission's trouble is not the others'.
func (s *Service) registerBatch(ps []*pending) {
	// The batch belongs to no single request: a citizen who hangs up does not cancel the others.
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	regs := make([]tickets.Registration, len(ps))
	for i, p := range ps {
		regs[i] = tickets.Registration{Actor: p.actor, Input: p.in}
	}
	ts, errs, err := s.tickets.RegisterBatch(ctx, regs, func(ctx context.Context, tx bun.Tx, ts []*tickets.Ticket) error {
		return recordSubmissions(ctx, tx, ts, ps)
	})
	if err != nil {
		if len(ps) > 1 {
			s.log.Warn("submission batch failed; registering each alone", "submissions", len(ps), "err", err)
		}
		for _, p := range ps {
			r, err := s.registerOne(ctx, p)
			p.done <- submitted{r, err}
		}
		return
	}
	for i, p := range ps {
		if errs[i] != nil {
			p.done <- submitted{nil, fmt.Errorf("submit: %w", errs[i])}
			continue
		}
		p.done <- submitted{p.receipt(ts[i]), nil}
	}
}
