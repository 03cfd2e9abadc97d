// Package migrations embeds the versioned SQL migrations (NNNNNN_name.up.sql /
// .down.sql, golang-migrate's format) so the binary carries its own schema.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
