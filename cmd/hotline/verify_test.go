package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/tickets"
)

// verifyCity is a city with three tickets at various stages and a few audit entries.
func verifyCity(t *testing.T) (*demotest.City, []string) {
	t.Helper()
	c := demotest.New(t, demotest.Staff())
	var numbers []string
	for i, text := range []string{"公司拖欠三个月工资", "小区门口路面塌陷", "夜间施工噪声扰民"} {
		tk := c.Register(t, tickets.RegisterInput{CallerPhone: "1380013800" + string(rune('0'+i)), Description: text, Category: "wage-arrears"})
		numbers = append(numbers, tk.Number)
	}
	c.Dispatch(t, numbers[0], "hrss")
	c.Resolve(t, numbers[0], "hrss", "已督促公司支付工资")
	c.Dispatch(t, numbers[1], "urban")
	ctx := context.Background()
	for _, action := range []string{"login", "staff_saved", "logout"} {
		if err := account.Record(ctx, c.DB, c.Clock.Now(), account.Change{Action: action, ObjectType: "staff", ObjectKey: "admin"}); err != nil {
			t.Fatal(err)
		}
	}
	return c, numbers
}

func verifyRun(t *testing.T, c *demotest.City, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, map[string]string{"HOTLINE_DATABASE_URL": c.URL, "HOTLINE_LOG_LEVEL": "error"}, append([]string{"verify"}, args...)...)
}

// superuser runs sql with the triggers off, as someone with the database's keys would.
func superuser(t *testing.T, c *demotest.City, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "SET session_replication_role = origin")
	if _, err := conn.ExecContext(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyIntactChains(t *testing.T) {
	t.Parallel()
	c, _ := verifyCity(t)
	code, out, stderr := verifyRun(t, c, "--anchor")
	if code != 0 || !strings.Contains(out, "anchored") || !strings.Contains(out, "intact: 3 ticket timelines") ||
		!strings.Contains(out, "the audit log (3 entries)") || !strings.Contains(out, "latest anchor: 1") {
		t.Fatalf("verify: %d\n%s%s", code, out, stderr)
	}
	if code, out, _ := verifyRun(t, c, "--anchor"); code != 0 || strings.Contains(out, "anchored") {
		t.Fatalf("an anchor with nothing new: %d %s", code, out)
	}
	// Plain UPDATE, DELETE and TRUNCATE are refused on both, whoever asks.
	for _, sql := range []string{"UPDATE ticket_events SET body = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log", "TRUNCATE ticket_events CASCADE",
		"DELETE FROM chain_anchors", "DELETE FROM chain_heads"} {
		if _, err := c.DB.ExecContext(context.Background(), sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", sql, err)
		}
	}
	if code, _, stderr := verifyRun(t, c, "--colour"); code == 0 || !strings.Contains(stderr, "flag provided but not defined") {
		t.Fatalf("bad flag: %d %s", code, stderr)
	}
}

// Each way of rewriting history with the triggers off is found, and the first broken entry
// is named on stderr.
func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		tamper     func(t *testing.T, c *demotest.City, numbers []string)
	}{
		{"an entry's text changed", "timeline entry 3 (event id", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, "UPDATE ticket_events SET body = '已解决' WHERE chain_seq = 3 AND ticket_id = (SELECT id FROM tickets WHERE number = ?)", n[0])
		}},
		{"an entry removed from the middle", "is not in its place", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, "DELETE FROM ticket_events WHERE chain_seq = 2 AND ticket_id = (SELECT id FROM tickets WHERE number = ?)", n[0])
		}},
		{"the last entry removed", "ends at another entry than its recorded head", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, "DELETE FROM ticket_events WHERE chain_seq = 2 AND ticket_id = (SELECT id FROM tickets WHERE number = ?)", n[1])
		}},
		{"an audit entry changed", "audit log, entry 2", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, "UPDATE audit_log SET object_key = 'someone else' WHERE chain_seq = 2")
		}},
		{"the audit log emptied", "audit log: has a recorded head but no entries", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, "DELETE FROM audit_log")
		}},
		// The thorough forger recomputes the chain and its head after the change: the anchor
		// taken before still holds the old hash.
		{"a chain recomputed after the change", "differs from what an anchor recorded", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, `UPDATE ticket_events SET body = '已解决' WHERE chain_seq = 3 AND ticket_id = (SELECT id FROM tickets WHERE number = ?)`, n[0])
			superuser(t, c, `DO $$ DECLARE e ticket_events; prev bytea := ''::bytea; BEGIN
				FOR e IN SELECT * FROM ticket_events WHERE ticket_id = (SELECT id FROM tickets WHERE number = '`+n[0]+`') ORDER BY chain_seq LOOP
					e.chain_hash := sha256(prev || chain_content(e));
					UPDATE ticket_events SET chain_hash = e.chain_hash WHERE id = e.id;
					UPDATE chain_heads SET hash = e.chain_hash WHERE chain = 'ticket' AND key = e.ticket_id AND seq = e.chain_seq;
					prev := e.chain_hash;
				END LOOP; END $$`)
		}},
		// And rewrites the anchor's entry too: the anchor's digest, chained and logged, no longer
		// follows.
		{"an anchor rewritten", "anchor 1: its digest does not follow", func(t *testing.T, c *demotest.City, n []string) {
			superuser(t, c, `DO $$ DECLARE a audit_log; prev bytea := ''::bytea; BEGIN
				UPDATE audit_log SET object_key = 'someone else' WHERE chain_seq = 2;
				FOR a IN SELECT * FROM audit_log ORDER BY chain_seq LOOP
					a.chain_hash := sha256(prev || chain_content(a));
					UPDATE audit_log SET chain_hash = a.chain_hash WHERE id = a.id;
					prev := a.chain_hash;
				END LOOP;
				UPDATE chain_heads SET hash = prev WHERE chain = 'audit';
				UPDATE chain_anchor_entries SET hash = prev WHERE chain = 'audit';
				END $$`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, numbers := verifyCity(t)
			if code, out, stderr := verifyRun(t, c, "--anchor"); code != 0 {
				t.Fatalf("before: %d %s %s", code, out, stderr)
			}
			tc.tamper(t, c, numbers)
			code, out, stderr := verifyRun(t, c)
			if code == 0 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("verify after tampering: %d\nstdout: %s\nstderr: %s\nwant %q", code, out, stderr, tc.want)
			}
		})
	}
}

// Two transactions writing the first entries of a timeline at once — a ticket loaded without
// one, acted on by the sweep and a handler in the same moment — take turns: the second gets
// place 2, neither fails, and the chain verifies.
func TestFirstEntriesOfATimelineAtOnce(t *testing.T) {
	t.Parallel()
	c, _ := verifyCity(t)
	ctx := context.Background()
	var id int64
	err := c.DB.QueryRowContext(ctx, `INSERT INTO tickets (number, type, channel, status, description, profile_code, created_at, updated_at)
VALUES ('IMPORT0001', 'complaint', 'phone', 'registered', 'imported', 'standard', now(), now()) RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO ticket_events (ticket_id, kind, actor_name, at, body) VALUES (?, 'note', ?, now(), ?)`
	first, err := c.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	if _, err := first.ExecContext(ctx, insert, id, "sweep", "first"); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		tx, err := c.DB.BeginTx(ctx, nil)
		if err != nil {
			second <- err
			return
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, insert, id, "handler", "second"); err != nil {
			second <- err
			return
		}
		second <- tx.Commit()
	}()
	// The second waits on the first's head, whatever the moment it arrives.
	time.Sleep(200 * time.Millisecond)
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the second first entry failed: %v", err)
	}
	var seqs []int64
	if err := c.DB.NewSelect().Table("ticket_events").Column("chain_seq").Where("ticket_id = ?", id).Order("chain_seq").Scan(ctx, &seqs); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || seqs[0] != 1 || seqs[1] != 2 {
		t.Fatalf("places %v, want [1 2]", seqs)
	}
	if code, out, stderr := verifyRun(t, c); code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, stderr)
	}
}
