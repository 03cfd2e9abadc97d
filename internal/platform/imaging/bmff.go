package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// This file reads ISO BMFF (ISO/IEC 14496-12) boxes, the container of HEIF.

// readAt reads n bytes at off through w; running out of bytes is
// UnsupportedMedia. The bytes are valid until w's next read.
func readAt(w *window, off, n int64) ([]byte, error) {
	b, err := w.at(off, int(n))
	if err == nil && int64(len(b)) == n {
		return b, nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, malformedHEIC("the file is truncated")
	}
	return nil, err
}

// box is a child box inside a buffer; offset is its payload's file offset.
type box struct {
	typ    string
	data   []byte
	offset int64
}

// childBoxes splits b, which starts at file offset base, into boxes.
func childBoxes(b []byte, base int64) ([]box, error) {
	var boxes []box
	for pos := 0; pos < len(b); {
		if len(b)-pos < 8 {
			return nil, malformedHEIC("truncated box")
		}
		size, typ, headLen := uint64(binary.BigEndian.Uint32(b[pos:])), string(b[pos+4:pos+8]), 8
		switch size {
		case 0:
			size = uint64(len(b) - pos)
		case 1:
			if len(b)-pos < 16 {
				return nil, malformedHEIC("truncated box")
			}
			size, headLen = binary.BigEndian.Uint64(b[pos+8:]), 16
		}
		if size < uint64(headLen) || size > uint64(len(b)-pos) {
			return nil, malformedHEIC(fmt.Sprintf("box %q does not fit in its parent", printable(typ)))
		}
		end := pos + int(size)
		boxes = append(boxes, box{typ: typ, data: b[pos+headLen : end], offset: base + int64(pos+headLen)})
		pos = end
	}
	return boxes, nil
}

// fields reads big-endian fields from a box payload; running past its end
// sets bad and yields zeros.
type fields struct {
	b   []byte
	bad bool
}

func (f *fields) take(n int) []byte {
	if f.bad || n > len(f.b) {
		f.bad, f.b = true, nil
		return nil
	}
	p := f.b[:n]
	f.b = f.b[n:]
	return p
}

// uint reads an n-byte unsigned integer, n in 0…8.
func (f *fields) uint(n int) uint64 {
	var v uint64
	for _, c := range f.take(n) {
		v = v<<8 | uint64(c)
	}
	return v
}

func (f *fields) u8() uint8   { return uint8(f.uint(1)) }
func (f *fields) u16() uint16 { return uint16(f.uint(2)) }
func (f *fields) u32() uint32 { return uint32(f.uint(4)) }

func (f *fields) fourCC() string { return string(f.take(4)) }

// fullBox reads the version and flags of a full box.
func (f *fields) fullBox() (version uint8, flags uint32) {
	v := f.u32()
	return uint8(v >> 24), v & 0xFFFFFF
}

// cstring reads a NUL-terminated string (or the rest, if unterminated).
func (f *fields) cstring() string {
	i := bytes.IndexByte(f.b, 0)
	if i < 0 {
		s := string(f.b)
		f.b = nil
		return s
	}
	s := string(f.b[:i])
	f.b = f.b[i+1:]
	return s
}

// printable makes a four-character code safe to show.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7E {
			return '?'
		}
		return r
	}, s)
}
