package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/fieldops/fieldops/internal/platform/jcs"
)

// Canonicalization names how the report hash is computed; it is stored next
// to the canonical text and the hash so that a verifier knows how to redo it.
const Canonicalization = "RFC8785"

// Canonical returns the RFC 8785 canonical JSON text of r and the report
// hash: the lower-case hex SHA-256 of exactly those bytes.
//
// Nil Charges.Items and Photos are written as [] (as Record promises), so a
// record built without items hashes the same as one built with an empty
// slice, and the text decodes back to the same Record. r itself is not
// changed.
func Canonical(r Record) (canonical []byte, hash string, err error) {
	if r.Charges.Items == nil {
		r.Charges.Items = []Line{}
	}
	if r.Photos == nil {
		r.Photos = []Photo{}
	}
	canonical, err = jcs.Marshal(r)
	if err != nil {
		return nil, "", fmt.Errorf("evidence: canonical record: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return canonical, hex.EncodeToString(sum[:]), nil
}
