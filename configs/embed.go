// Package configs holds the default configuration file, embedded in the binary.
package configs

import _ "embed"

// Default is configs/config.yaml as committed.
//
//go:embed config.yaml
var Default []byte
