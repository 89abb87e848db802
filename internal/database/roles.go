package database

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// AppendOnly are the tables whose rows, once written, stay as they are: the application's
// role may only read and add to them.
var AppendOnly = []string{"ticket_events", "audit_log", "routing_rule_versions", "chain_anchors", "chain_anchor_entries", "return_visits", "kb_article_versions",
	"evaluation_profile_versions", "evaluation_adoptions"}

// DefaultAppRole is the role `hotline serve` runs as on the managed cluster.
const DefaultAppRole = "hotline_app"

// EnsureAppRole creates role, able to log in and nothing else (no superuser, no creating
// databases or roles), unless it exists. db must be a superuser's or a CREATEROLE role's.
func EnsureAppRole(ctx context.Context, db bun.IDB, role string) error {
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", role).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", role, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE ROLE ? LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS", bun.Ident(role)); err != nil {
		return fmt.Errorf("create role %s: %w", role, err)
	}
	return nil
}

// GrantApp gives role what `hotline serve` needs on the migrated schema and no more: rows of
// the ordinary tables, only SELECT and INSERT on the append-only ones (no UPDATE, DELETE or
// TRUNCATE), the chains' heads to read (their triggers move them with their owner's rights)
// and mark anchored, and the migrations' record to read. It owns nothing, so it can neither
// alter a table, disable a trigger, nor change session_replication_role. Run it as the owner
// after every migration; running it again changes nothing.
func GrantApp(ctx context.Context, db bun.IDB, role string) error {
	r := bun.Ident(role)
	stmts := []struct {
		sql  string
		args []any
	}{
		{"GRANT CONNECT ON DATABASE ? TO ?", []any{bun.Ident(currentDatabase(ctx, db)), r}},
		{"GRANT USAGE ON SCHEMA public TO ?", []any{r}},
		{"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ?", []any{r}},
		{"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ?", []any{r}},
		// The days' ticket number sequences, made later by the owner's function.
		{"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ?", []any{r}},
		{"REVOKE UPDATE, DELETE, TRUNCATE ON ? FROM ?", []any{bun.List(identList(AppendOnly)), r}},
		{"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON chain_heads FROM ?", []any{r}},
		{"GRANT UPDATE (anchored_seq) ON chain_heads TO ?", []any{r}},
		{"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON bun_migrations, bun_migration_locks FROM ?", []any{r}},
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.sql, s.args...); err != nil {
				return fmt.Errorf("grant %s: %w", role, err)
			}
		}
		return nil
	})
}

func identList(names []string) []bun.Ident {
	out := make([]bun.Ident, len(names))
	for i, n := range names {
		out[i] = bun.Ident(n)
	}
	return out
}

func currentDatabase(ctx context.Context, db bun.IDB) string {
	var name string
	db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name)
	return name
}

// RoleRights says what the connected role can do that the application should not: be a
// superuser, or own tables of the schema (and so alter them, or disable their triggers).
type RoleRights struct {
	Role      string
	Superuser bool
	Owns      int // tables of the public schema it owns
}

// Rights reads what the role db connects as may do.
func Rights(ctx context.Context, db bun.IDB) (RoleRights, error) {
	var r RoleRights
	err := db.QueryRowContext(ctx, `SELECT current_user, r.rolsuper,
			(SELECT count(*) FROM pg_tables t WHERE t.schemaname = 'public' AND t.tableowner = current_user)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&r.Role, &r.Superuser, &r.Owns)
	if err != nil {
		return r, fmt.Errorf("read the database role's rights: %w", err)
	}
	return r, nil
}

// Privileged reports whether the role could rewrite what must stay as written.
func (r RoleRights) Privileged() bool { return r.Superuser || r.Owns > 0 }

// Durability is what the server does with a commit before it answers.
type Durability struct {
	Fsync             string // "on": writes reach the disk
	SynchronousCommit string // "off": a commit is answered before its WAL is flushed
}

// Durable reports whether an answered commit survives a crash of the database server.
func (d Durability) Durable() bool { return d.Fsync == "on" && d.SynchronousCommit != "off" }

func (d Durability) String() string {
	return "fsync=" + d.Fsync + ", synchronous_commit=" + d.SynchronousCommit
}

// ReadDurability reads the server's durability settings as the connected session sees them.
func ReadDurability(ctx context.Context, db bun.IDB) (Durability, error) {
	var d Durability
	if err := db.QueryRowContext(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&d.Fsync, &d.SynchronousCommit); err != nil {
		return d, fmt.Errorf("read the database's durability settings: %w", err)
	}
	return d, nil
}
