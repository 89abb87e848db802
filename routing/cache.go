package routing

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/pgnotify"
)

// priorCorpus is the bundled labelled corpus of citizen requests: the
// classifier's prior knowledge before the city has a history of its own.
//
//go:embed testdata/corpus.tsv
var priorCorpus []byte

// PriorExamples returns the bundled corpus as training examples.
func PriorExamples() []Example {
	var out []Example
	sc := bufio.NewScanner(bytes.NewReader(priorCorpus))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			continue
		}
		out = append(out, Example{Text: parts[2], Department: parts[1]})
	}
	return out
}

// Cache holds the compiled rules and the classifier of one process, so that
// dispatching a ticket evaluates rules in memory. Run keeps it current: it
// subscribes to NotifyChannel on the process's listener and reloads on every
// notification (and whenever the listener may have missed some), and it also
// reloads periodically as a safety net.
type Cache struct {
	db       *bun.DB
	listener *pgnotify.Listener
	log      *slog.Logger

	// ReloadEvery is the period of the safety-net reload (default 30s).
	ReloadEvery time.Duration

	mu          sync.Mutex // serialises loads
	fingerprint string
	engine      atomic.Pointer[Engine]
	model       atomic.Pointer[Classifier]
	modelInfo   atomic.Pointer[ModelInfo]
	loads       atomic.Int64
}

// NewCache returns an empty cache of the rules in db; listener, when not nil,
// brings other processes' changes to Run. Call Load before use.
func NewCache(db *bun.DB, listener *pgnotify.Listener, log *slog.Logger) *Cache {
	c := &Cache{db: db, listener: listener, log: log, ReloadEvery: 30 * time.Second}
	empty, _ := NewEngine(nil)
	c.engine.Store(empty)
	prior := PriorExamples()
	c.model.Store(Train(prior))
	c.modelInfo.Store(&ModelInfo{Examples: len(prior)})
	return c
}

// Engine returns the current compiled rule set.
func (c *Cache) Engine() *Engine { return c.engine.Load() }

// Classifier returns the current classifier: the newest stored one, or one
// trained on the bundled corpus alone while none is stored.
func (c *Cache) Classifier() *Classifier { return c.model.Load() }

// ModelInfo describes the current classifier (ID 0: the bundled corpus).
func (c *Cache) ModelInfo() ModelInfo { return *c.modelInfo.Load() }

// Loads counts the loads that found a change, for tests and metrics.
func (c *Cache) Loads() int64 { return c.loads.Load() }

// Load reads the rules and the newest classifier when they changed since the
// last load. Invalid stored rules (which the service never writes) keep the
// previous rule set and are reported.
func (c *Cache) Load(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := NewStore(c.db)
	fp, err := st.Fingerprint(ctx)
	if err != nil {
		return err
	}
	if fp == c.fingerprint {
		return nil
	}
	rules, err := st.Rules(ctx)
	if err != nil {
		return err
	}
	e, err := NewEngine(rules)
	if err != nil {
		return fmt.Errorf("compile routing rules: %w", err)
	}
	model, info, err := st.LatestModel(ctx)
	switch {
	case errors.Is(err, ErrNoModel):
	case err != nil:
		return err
	default:
		c.model.Store(model)
		c.modelInfo.Store(&info)
	}
	c.engine.Store(e)
	c.fingerprint = fp
	c.loads.Add(1)
	c.log.DebugContext(ctx, "routing rules loaded", "rules", len(rules), "fingerprint", fp)
	return nil
}

// Run keeps the cache current until ctx ends: it reloads on every notification of a rule's
// change and every ReloadEvery (default 30 s) besides.
func (c *Cache) Run(ctx context.Context) error {
	period := c.ReloadEvery
	if period <= 0 {
		period = 30 * time.Second
	}
	pgnotify.Reload(ctx, c.listener, NotifyChannel, period, c.Load, func(err error) {
		c.log.WarnContext(ctx, "reload routing rules", "err", err)
	})
	return nil
}
