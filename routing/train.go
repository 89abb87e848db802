package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// History returns the tickets dispatched since a moment as training
// examples: their text and the department that has them now. Returned
// tickets (their department said "not ours") and merged ones are left out.
func (s *Service) History(ctx context.Context, since time.Time) ([]Example, error) {
	var rows []struct {
		Title, Description, Department string
	}
	err := s.db.NewRaw(`SELECT t.title, t.description, d.code AS department
		FROM tickets t JOIN departments d ON d.id = t.department_id
		WHERE t.dispatched_at >= ? AND t.status <> ? AND t.master_id IS NULL
		ORDER BY t.id`, since, tickets.StatusReturned).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("training history: %w", err)
	}
	out := make([]Example, len(rows))
	for i, r := range rows {
		out[i] = Example{Text: strings.TrimSpace(r.Title + " " + r.Description), Department: r.Department}
	}
	return out, nil
}

// Retrain trains the classifier on the tickets dispatched in the last
// HistoryDays plus the bundled corpus as a prior, stores it, and makes every
// process use it.
func (s *Service) Retrain(ctx context.Context) (ModelInfo, error) {
	now := s.clock.Now()
	hist, err := s.History(ctx, now.Add(-time.Duration(s.histDay)*24*time.Hour))
	if err != nil {
		return ModelInfo{}, err
	}
	examples := append(PriorExamples(), hist...)
	c := Train(examples)
	var info ModelInfo
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		info, err = NewStore(tx).SaveModel(ctx, c, ModelInfo{TrainedAt: now, Examples: len(examples), FromHistory: len(hist)})
		return err
	})
	if err != nil {
		return ModelInfo{}, err
	}
	s.log.InfoContext(ctx, "department classifier trained", "model_id", info.ID, "examples", info.Examples, "from_history", info.FromHistory)
	if err := s.cache.Load(ctx); err != nil {
		s.log.WarnContext(ctx, "reload routing rules", "err", err)
	}
	return info, nil
}

// RetrainHour is the local hour of the nightly retraining.
const RetrainHour = 3

// RunNightly retrains the classifier at RetrainHour every night until ctx
// ends, and once at start when none is stored yet. Several processes on one
// database each retrain; the newest model wins, which is harmless.
func (s *Service) RunNightly(ctx context.Context) error {
	if _, _, err := NewStore(s.db).LatestModel(ctx); errors.Is(err, ErrNoModel) {
		if _, err := s.Retrain(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "train department classifier", "err", err)
		}
	}
	for {
		now := s.clock.Now().In(s.loc)
		next := time.Date(now.Year(), now.Month(), now.Day(), RetrainHour, 0, 0, 0, s.loc)
		if !next.After(now) {
			next = next.AddDate(0, 0, 1)
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if _, err := s.Retrain(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "train department classifier", "err", err)
		}
	}
}
