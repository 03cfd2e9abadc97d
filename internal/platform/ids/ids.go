// Package ids is the one place new identifiers come from.
package ids

import "github.com/google/uuid"

// New returns a time-ordered UUID (version 7), which keeps b-tree inserts local.
func New() uuid.UUID { return uuid.Must(uuid.NewV7()) }
