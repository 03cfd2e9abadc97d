// Package jcs writes JSON in the canonical form of RFC 8785, the JSON
// Canonicalization Scheme: no insignificant whitespace, object members sorted
// by the UTF-16 code units of their names, strings with only the escapes the
// RFC allows (everything else, non-ASCII and <, >, & included, as literal
// UTF-8), and numbers as ECMAScript's Number.prototype.toString writes them.
// Two parties that canonicalize the same data get the same bytes, so a hash
// or a signature over those bytes can be checked by anyone, in any language.
//
// The work is done by github.com/gowebpki/jcs, the maintained Go port of the
// RFC author's reference implementation: a single dependency-free file
// (Apache-2.0) whose recent releases validate UTF-8 and surrogate pairs,
// enforce the RFC 8259 number grammar, reject duplicate member names and
// bound the nesting depth. Canonical text decides whether a stored report
// hash still verifies, so we prefer the implementation that the RFC's own
// test vectors were written against to a second one of our own; this
// package's tests pin the behaviour FieldOps relies on (the RFC examples,
// the rejections, idempotence), so an upgrade that changed the output would
// fail here first.
package jcs

import (
	"encoding/json"
	"errors"
	"fmt"

	gowebpki "github.com/gowebpki/jcs"
)

// ErrInvalid is wrapped by every error of Canonicalize about its input: the
// text is not JSON, or is JSON outside the I-JSON subset RFC 8785 accepts
// (duplicate member names, invalid UTF-8, lone surrogates, numbers beyond
// the range of an IEEE-754 double).
var ErrInvalid = errors.New("jcs: input cannot be canonicalized")

// Canonicalize parses one JSON text (whitespace around it is allowed) and
// returns its RFC 8785 canonical form. Errors wrap ErrInvalid.
func Canonicalize(data []byte) ([]byte, error) {
	if data == nil {
		data = []byte{}
	}
	out, err := gowebpki.Transform(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return out, nil
}

// Marshal encodes v with encoding/json and canonicalizes the result, so the
// struct tags and MarshalJSON methods of v decide the members and
// Canonicalize decides their order and spelling. As in I-JSON, an integer
// beyond ±2^53 does not survive: it is written as the nearest double.
func Marshal(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("jcs: %w", err)
	}
	return Canonicalize(data)
}
