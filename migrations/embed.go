// Package migrations embeds bkflow's numbered SQL migrations so every binary
// carries the schema it needs. Files are never edited once released; a change
// is a new file. Each file holds its own Up and Down sections (goose format).
package migrations

import "embed"

// FS holds the *.sql migration files.
//
//go:embed *.sql
var FS embed.FS
