package database

import "testing"

func TestWithName(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"postgres://postgres@/postgres?host=/srv/pg&sslmode=disable": "postgres://postgres@/t_1?host=/srv/pg&sslmode=disable",
		"postgres://u:p@db.example:5432/hotline":                     "postgres://u:p@db.example:5432/t_1",
		"postgres://u@db":                                            "postgres://u@db/t_1",
	} {
		if got := WithName(raw, "t_1"); got != want {
			t.Errorf("WithName(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedactHidesThePassword(t *testing.T) {
	t.Parallel()
	if got := Redact("postgres://u:secret@db/hotline"); got != "postgres://u:xxxxx@db/hotline" {
		t.Fatalf("Redact = %q", got)
	}
}
