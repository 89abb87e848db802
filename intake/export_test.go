package intake

import "context"

// BatchOpen reports whether the batch writers take submissions.
func (s *Service) BatchOpen() bool {
	s.batch.mu.RLock()
	defer s.batch.mu.RUnlock()
	return s.batch.open
}

// SubmitBatch prepares subs and registers them as one batch, as a batch writer does.
func (s *Service) SubmitBatch(ctx context.Context, subs []Submission) ([]*Receipt, []error) {
	var ps []*pending
	rs, errs := make([]*Receipt, len(subs)), make([]error, len(subs))
	var at []int
	for i, sub := range subs {
		p, r, err := s.prepare(ctx, sub)
		if p == nil {
			rs[i], errs[i] = r, err
			continue
		}
		ps, at = append(ps, p), append(at, i)
	}
	s.registerBatch(ps)
	for k, p := range ps {
		r := <-p.done
		rs[at[k]], errs[at[k]] = r.receipt, r.err
	}
	return rs, errs
}
