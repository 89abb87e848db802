package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
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

// registerBatch registers ps in one transaction and answers each. A submission whose
// idempotency key an earlier one of the batch carries waits for that one's answer instead of
// failing the batch. When the COMMIT goes unanswered, the submissions' tokens are looked up: each
// written is answered with its ticket, and none is written twice. When the transaction failed
// (a key another batch wrote meanwhile, say), each is registered alone, so that one
// submission's trouble is not the others'.
func (s *Service) registerBatch(ps []*pending) {
	// The batch belongs to no single request: a citizen who hangs up does not cancel the others.
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var batch, twins []*pending
	firstOf := map[string]int{} // idempotency key → index in batch
	twinOf := map[*pending]int{}
	for _, p := range ps {
		if key := p.sub.IdempotencyKey; key != "" {
			if i, ok := firstOf[key]; ok {
				twins, twinOf[p] = append(twins, p), i
				continue
			}
			firstOf[key] = len(batch)
		}
		batch = append(batch, p)
	}
	results := s.writeBatch(ctx, batch)
	for i, p := range batch {
		p.done <- results[i]
	}
	for _, p := range twins {
		first := results[twinOf[p]]
		switch {
		case first.err != nil:
			r, err := s.registerOne(ctx, p)
			p.done <- submitted{r, err}
		case !bytes.Equal(batch[twinOf[p]].hash, p.hash):
			p.done <- submitted{nil, fmt.Errorf("ticket %s: %w", first.receipt.Number, ErrIdempotencyReused)}
		default:
			r := *first.receipt
			r.Notice, r.Duplicate = p.notice, true
			p.done <- submitted{&r, nil}
		}
	}
}

// writeBatch registers ps, whose idempotency keys differ, in one transaction and returns what
// became of each.
func (s *Service) writeBatch(ctx context.Context, ps []*pending) []submitted {
	out := make([]submitted, len(ps))
	regs := make([]tickets.Registration, len(ps))
	for i, p := range ps {
		regs[i] = tickets.Registration{Actor: p.actor, Input: p.in}
	}
	var xid string
	ts, errs, err := s.tickets.RegisterBatch(ctx, regs, func(ctx context.Context, tx bun.Tx, ts []*tickets.Ticket) error {
		var err error
		xid, err = recordSubmissions(ctx, tx, ts, ps)
		return err
	})
	if errors.Is(err, database.ErrCommitUnknown) {
		committed, found, lerr := s.afterUnknownCommit(ctx, xid, ps)
		if lerr != nil {
			// Written or not, nobody can say now: the citizen hears so, and no second ticket
			// is written on a guess.
			s.log.Error("submission batch: commit unanswered and not found out", "submissions", len(ps), "err", err, "lookup_err", lerr)
			for i := range ps {
				out[i].err = fmt.Errorf("submit: %w; looking it up: %w", err, lerr)
			}
			return out
		}
		if committed {
			for i, p := range ps {
				if r := found[p.token]; r != nil {
					out[i].receipt = r
					continue
				}
				// Refused in the batch, so not written: registered alone it is refused again
				// with its reason, or written once.
				out[i].receipt, out[i].err = s.registerOne(ctx, p)
			}
			return out
		}
		s.log.Warn("submission batch: commit unanswered and not done; registering each alone", "submissions", len(ps))
	}
	if err != nil {
		if len(ps) > 1 {
			s.log.Warn("submission batch failed; registering each alone", "submissions", len(ps), "err", err)
		}
		for i, p := range ps {
			out[i].receipt, out[i].err = s.registerOne(ctx, p)
		}
		return out
	}
	for i, p := range ps {
		if errs[i] != nil {
			out[i].err = fmt.Errorf("submit: %w", errs[i])
			continue
		}
		out[i].receipt = p.receipt(ts[i])
	}
	return out
}
