// Package migrations embeds the SQL migrations of every domain. Each domain adds its own
// timestamped files; bun/migrate applies them in name order.
package migrations

import "embed"

// FS holds the *.up.sql and *.down.sql files.
//
//go:embed *.sql
var FS embed.FS
