// Package chain checks and anchors the hash chains that make each ticket's timeline and the
// audit log tamper-evident. The database writes the chains itself (a trigger on every INSERT,
// see the chains migration): an entry's hash covers its content and the previous entry's
// hash, so changing, removing or reordering an entry breaks every hash after it. Someone able
// to rewrite the tables could recompute a chain to its end; anchors make that visible too:
// every so often the heads that moved are copied into an anchor, the anchors are chained, and
// each anchor's digest goes to the log, which lives outside the database.
package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Anchor is one anchor: the heads that moved since the one before, chained to it.
type Anchor struct {
	ID      int64
	At      time.Time
	Entries int
	Digest  string // hex
}

// anchorLock serialises anchoring, so two processes never fork the anchors' chain.
const anchorLock = 7_201_202

type entry struct {
	Chain string
	Key   int64
	Seq   int64
	Hash  []byte
}

// digest is SHA-256 of the previous anchor's digest and of the entries, in order.
func digest(prev []byte, es []entry) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	for _, e := range es {
		h.Write([]byte(e.Chain))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(n[:], uint64(e.Key))
		h.Write(n[:])
		binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
		h.Write(n[:])
		h.Write(e.Hash)
	}
	return h.Sum(nil)
}

// Take writes an anchor of every chain head that moved since the last anchor, and returns
// it; nil when nothing moved.
func Take(ctx context.Context, db *bun.DB) (*Anchor, error) {
	var a *Anchor
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", anchorLock); err != nil {
			return err
		}
		var es []entry
		rows, err := tx.QueryContext(ctx, `SELECT chain, key, seq, hash FROM chain_heads WHERE seq > anchored_seq
			ORDER BY chain, key FOR UPDATE`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.Chain, &e.Key, &e.Seq, &e.Hash); err != nil {
				rows.Close()
				return err
			}
			es = append(es, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		var prevID sql.NullInt64
		prev := []byte{}
		err = tx.QueryRowContext(ctx, "SELECT id, digest FROM chain_anchors ORDER BY id DESC LIMIT 1").Scan(&prevID, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		d := digest(prev, es)
		a = &Anchor{Entries: len(es), Digest: hex.EncodeToString(d)}
		if err := tx.QueryRowContext(ctx, "INSERT INTO chain_anchors (entries, digest, prev_id) VALUES (?, ?, ?) RETURNING id, at",
			len(es), d, prevID).Scan(&a.ID, &a.At); err != nil {
			return err
		}
		chains, keys, seqs, hashes := make([]string, len(es)), make([]int64, len(es)), make([]int64, len(es)), make([][]byte, len(es))
		for i, e := range es {
			chains[i], keys[i], seqs[i], hashes[i] = e.Chain, e.Key, e.Seq, e.Hash
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_anchor_entries (anchor_id, chain, key, seq, hash)
			SELECT ?, * FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bytea[])`,
			a.ID, pgdialect.Array(chains), pgdialect.Array(keys), pgdialect.Array(seqs), pgdialect.Array(hashes)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE chain_heads h SET anchored_seq = n.seq
			FROM unnest(?::text[], ?::bigint[], ?::bigint[]) AS n (chain, key, seq)
			WHERE h.chain = n.chain AND h.key = n.key`, pgdialect.Array(chains), pgdialect.Array(keys), pgdialect.Array(seqs))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("anchor the chains: %w", err)
	}
	return a, nil
}

// Anchoring takes an anchor every period until ctx ends, logging each anchor's digest: the
// log, kept outside the database, is what a rewrite of the database cannot reach.
func Anchoring(db *bun.DB, log *slog.Logger, period time.Duration) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			a, err := Take(ctx, db)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("anchor the tamper-evident chains; will try again", "err", err)
				}
				continue
			}
			if a != nil {
				log.Info("chain anchor", "anchor", a.ID, "entries", a.Entries, "digest", a.Digest)
			}
		}
	}
}

// Report is what Verify found: how much it checked and, when a chain is broken, the first
// broken entry.
type Report struct {
	Tickets, Events, AuditEntries, Anchors int64
	LatestAnchor                           *Anchor
	Broken                                 string // "" when every chain is intact
}

// Verify checks every ticket's timeline and the audit log against their hashes, the chains'
// heads against their last entries (an entry cut off the end shows there), and every anchor
// against the chains and the anchors before it. It stops at the first break and names it.
func Verify(ctx context.Context, db bun.IDB) (*Report, error) {
	r := &Report{}
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(DISTINCT ticket_id) FROM ticket_events),
		(SELECT count(*) FROM ticket_events), (SELECT count(*) FROM audit_log), (SELECT count(*) FROM chain_anchors)`).
		Scan(&r.Tickets, &r.Events, &r.AuditEntries, &r.Anchors); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, check := range []func(context.Context, bun.IDB) (string, error){brokenEvent, brokenAudit, brokenHead, brokenAnchor} {
		broken, err := check(ctx, db)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if broken != "" {
			r.Broken = broken
			return r, nil
		}
	}
	var a Anchor
	var d []byte
	err := db.QueryRowContext(ctx, "SELECT id, at, entries, digest FROM chain_anchors ORDER BY id DESC LIMIT 1").Scan(&a.ID, &a.At, &a.Entries, &d)
	if err == nil {
		a.Digest = hex.EncodeToString(d)
		r.LatestAnchor = &a
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return r, nil
}

// brokenEvent names the first timeline entry whose hash does not follow from its content
// and the entry before it, or whose place in its chain is not the next one.
func brokenEvent(ctx context.Context, db bun.IDB) (string, error) {
	var id, seq int64
	var number, why string
	err := db.QueryRowContext(ctx, `SELECT x.id, t.number, x.chain_seq, x.why FROM (
			SELECT e.id, e.ticket_id, e.chain_seq, CASE
				WHEN e.chain_seq <> row_number() OVER w THEN 'is not in its place (an entry before it is missing or doubled)'
				WHEN e.chain_hash <> sha256(coalesce(lag(e.chain_hash) OVER w, ''::bytea) || chain_content(e))
					THEN 'does not match its content or the entry before it' END AS why
			FROM ticket_events e WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.chain_seq)
		) x JOIN tickets t ON t.id = x.ticket_id
		WHERE x.why IS NOT NULL ORDER BY x.ticket_id, x.chain_seq LIMIT 1`).Scan(&id, &number, &seq, &why)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return fmt.Sprintf("ticket %s, timeline entry %d (event id %d): %s", number, seq, id, why), nil
}

// brokenAudit is brokenEvent for the audit log.
func brokenAudit(ctx context.Context, db bun.IDB) (string, error) {
	var id, seq int64
	var why string
	err := db.QueryRowContext(ctx, `SELECT x.id, x.chain_seq, x.why FROM (
			SELECT a.id, a.chain_seq, CASE
				WHEN a.chain_seq <> row_number() OVER w THEN 'is not in its place (an entry before it is missing or doubled)'
				WHEN a.chain_hash <> sha256(coalesce(lag(a.chain_hash) OVER w, ''::bytea) || chain_content(a))
					THEN 'does not match its content or the entry before it' END AS why
			FROM audit_log a WINDOW w AS (ORDER BY a.chain_seq)
		) x WHERE x.why IS NOT NULL ORDER BY x.chain_seq LIMIT 1`).Scan(&id, &seq, &why)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return fmt.Sprintf("audit log, entry %d (id %d): %s", seq, id, why), nil
}

// brokenHead names the first chain whose head is not its last entry: entries removed from
// its end, or a chain without a head at all.
func brokenHead(ctx context.Context, db bun.IDB) (string, error) {
	var chain, why string
	var key, seq int64
	err := db.QueryRowContext(ctx, `WITH last AS (
			SELECT 'ticket' AS chain, ticket_id AS key, max(chain_seq) AS seq FROM ticket_events GROUP BY ticket_id
			UNION ALL SELECT 'audit', 0, max(chain_seq) FROM audit_log HAVING count(*) > 0)
		SELECT coalesce(h.chain, l.chain), coalesce(h.key, l.key), coalesce(h.seq, 0), CASE
			WHEN h.chain IS NULL THEN 'has entries but no recorded head'
			WHEN l.chain IS NULL THEN 'has a recorded head but no entries'
			WHEN l.seq <> h.seq THEN 'ends at another entry than its recorded head (entries removed from its end?)'
			WHEN h.hash <> (CASE h.chain WHEN 'audit' THEN (SELECT chain_hash FROM audit_log WHERE chain_seq = h.seq)
				ELSE (SELECT chain_hash FROM ticket_events WHERE ticket_id = h.key AND chain_seq = h.seq) END)
				THEN 'last entry does not match its recorded head' END
		FROM chain_heads h FULL JOIN last l ON l.chain = h.chain AND l.key = h.key
		WHERE h.chain IS NULL OR l.chain IS NULL OR l.seq <> h.seq OR h.hash <> (CASE h.chain WHEN 'audit'
			THEN (SELECT chain_hash FROM audit_log WHERE chain_seq = h.seq)
			ELSE (SELECT chain_hash FROM ticket_events WHERE ticket_id = h.key AND chain_seq = h.seq) END)
		ORDER BY 1, 2 LIMIT 1`).Scan(&chain, &key, &seq, &why)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %s", chainName(ctx, db, chain, key), why), nil
}

// brokenAnchor names the first anchor whose digest does not follow from its entries and the
// anchor before it, or whose entry no longer matches its chain.
func brokenAnchor(ctx context.Context, db bun.IDB) (string, error) {
	var bad entry
	err := db.QueryRowContext(ctx, `SELECT x.chain, x.key, x.seq FROM chain_anchor_entries x
		LEFT JOIN ticket_events e ON x.chain = 'ticket' AND e.ticket_id = x.key AND e.chain_seq = x.seq
		LEFT JOIN audit_log a ON x.chain = 'audit' AND a.chain_seq = x.seq
		WHERE coalesce(e.chain_hash, a.chain_hash) IS DISTINCT FROM x.hash
		ORDER BY x.anchor_id, x.chain, x.key LIMIT 1`).Scan(&bad.Chain, &bad.Key, &bad.Seq)
	if err == nil {
		return fmt.Sprintf("%s, entry %d: differs from what an anchor recorded", chainName(ctx, db, bad.Chain, bad.Key), bad.Seq), nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	rows, err := db.QueryContext(ctx, `SELECT a.id, a.entries, a.digest, a.prev_id, x.chain, x.key, x.seq, x.hash
		FROM chain_anchors a LEFT JOIN chain_anchor_entries x ON x.anchor_id = a.id ORDER BY a.id, x.chain, x.key`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var prev []byte
	var prevID int64
	var cur struct {
		id, entries, prevID int64
		digest              []byte
		es                  []entry
	}
	finish := func() string {
		if cur.id == 0 {
			return ""
		}
		if cur.prevID != prevID || int64(len(cur.es)) != cur.entries || !bytes.Equal(digest(prev, cur.es), cur.digest) {
			return fmt.Sprintf("anchor %d: its digest does not follow from its entries and the anchor before it", cur.id)
		}
		prev, prevID = cur.digest, cur.id
		return ""
	}
	for rows.Next() {
		var id, entries int64
		var d []byte
		var p sql.NullInt64
		var chain sql.NullString
		var key, seq sql.NullInt64
		var hash []byte
		if err := rows.Scan(&id, &entries, &d, &p, &chain, &key, &seq, &hash); err != nil {
			return "", err
		}
		if id != cur.id {
			if broken := finish(); broken != "" {
				return broken, nil
			}
			cur.id, cur.entries, cur.prevID, cur.digest, cur.es = id, entries, p.Int64, d, nil
		}
		if chain.Valid {
			cur.es = append(cur.es, entry{Chain: chain.String, Key: key.Int64, Seq: seq.Int64, Hash: hash})
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return finish(), nil
}

// chainName is how a report names a chain: the ticket's number, or the audit log.
func chainName(ctx context.Context, db bun.IDB, chain string, key int64) string {
	if chain == "audit" {
		return "audit log"
	}
	var number string
	if err := db.QueryRowContext(ctx, "SELECT number FROM tickets WHERE id = ?", key).Scan(&number); err != nil {
		return fmt.Sprintf("ticket id %d", key)
	}
	return "ticket " + number
}
