package imaging

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Strip copies the image of format f and the given size from r to w without
// the metadata that could identify a place or a device:
//   - JPEG: APP1 (Exif, XMP), APP13 (IPTC), every other APPn except APP0 JFIF,
//     APP2 ICC_PROFILE and APP14 Adobe, and COM segments are dropped, also
//     between the scans of a progressive JPEG; anything after the EOI marker
//     (appended "trailers" such as motion-photo videos) is dropped too. When
//     the first Exif APP1 before the first scan has an Orientation other than
//     1 in IFD0, a minimal Exif APP1 takes its place: a TIFF header in the
//     same byte order and an IFD0 with that Orientation alone, so the photo
//     still shows upright. A malformed Exif segment is dropped without error.
//   - PNG: eXIf, tEXt, zTXt, iTXt and tIME chunks are dropped, and anything
//     after IEND.
//   - WebP: EXIF and XMP chunks are dropped, the VP8X flags for them cleared
//     and the RIFF size fixed. r is read twice: chunk headers first, to learn
//     the output size, then the chunks that stay.
//   - HEIC: the payloads of Exif items and of XMP (mime application/rdf+xml)
//     items are overwritten with zeros, so every offset in the file stays valid.
//
// Everything else is copied byte for byte, streaming, in bounded memory (a
// read buffer of 1 MiB: r is read in large chunks, see io.go). Strip checks
// structure only, not pixels: call Inspect first. A malformed file is
// errs.UnsupportedMedia; w may then have received part of the output.
func Strip(f Format, r io.ReaderAt, size int64, w io.Writer) error {
	src, dst := &readerAt{r: r}, &writer{w: w}
	var err error
	switch f {
	case JPEG:
		err = stripJPEG(sequential(src, 0, size), dst)
	case PNG:
		err = stripPNG(sequential(src, 0, size), dst)
	case WebP:
		err = stripWebP(src, size, dst)
	case HEIC:
		err = stripHEIC(src, size, dst)
	default:
		return unsupported("the file is not a JPEG, PNG, WebP or HEIC image")
	}
	switch {
	case err == nil:
		return nil
	case dst.err != nil:
		return fmt.Errorf("imaging: writing the stripped %s image: %w", f.name(), dst.err)
	}
	return src.blame(f, err)
}

// writer remembers the first failure of the writer it wraps.
type writer struct {
	w   io.Writer
	err error
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

var errMalformed = errors.New("malformed")

// stripJPEG walks the JPEG's marker segments, and the entropy-coded data of
// each scan up to the next marker, until EOI.
func stripJPEG(br *bufio.Reader, w io.Writer) error {
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil {
		return err
	}
	if soi != [2]byte{0xFF, 0xD8} {
		return errMalformed
	}
	if _, err := w.Write(soi[:]); err != nil {
		return err
	}
	// scanned: a scan has started, so the header is over; exifSeen: the
	// header's first Exif segment, the one that counts, has been read.
	inScan, scanned, exifSeen := false, false, false
	for {
		var marker byte
		if inScan {
			chunk, err := br.ReadSlice(0xFF)
			if err == bufio.ErrBufferFull {
				if _, err := w.Write(chunk); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if _, err := w.Write(chunk[:len(chunk)-1]); err != nil {
				return err
			}
			b, err := br.ReadByte()
			if err != nil {
				return err
			}
			switch {
			case b == 0x00 || 0xD0 <= b && b <= 0xD7: // stuffed byte, restart marker
				if _, err := w.Write([]byte{0xFF, b}); err != nil {
					return err
				}
				continue
			case b == 0xFF: // fill byte; the next 0xFF starts the marker
				if err := br.UnreadByte(); err != nil {
					return err
				}
				continue
			}
			marker, inScan = b, false
		} else {
			// Bytes other than 0xFF between segments are junk that decoders
			// (Go's, libjpeg) skip; they are dropped.
			b, err := br.ReadByte()
			for err == nil && b != 0xFF {
				b, err = br.ReadByte()
			}
			if err != nil {
				return err
			}
			for b == 0xFF {
				if b, err = br.ReadByte(); err != nil {
					return err
				}
			}
			marker = b
		}

		switch {
		case marker == 0xD9: // EOI: the end, whatever follows
			_, err := w.Write([]byte{0xFF, 0xD9})
			return err
		case marker == 0x01 || 0xD0 <= marker && marker <= 0xD7: // no payload
			if _, err := w.Write([]byte{0xFF, marker}); err != nil {
				return err
			}
			continue
		case marker == 0x00 || marker == 0xD8:
			return errMalformed
		}
		var length [2]byte
		if _, err := io.ReadFull(br, length[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint16(length[:])) - 2
		if n < 0 {
			return errMalformed
		}
		prefix, err := br.Peek(min(n, 12))
		if err != nil {
			return err
		}
		if isExifAPP1(marker, prefix) && !exifSeen && !scanned {
			// The first Exif segment of the header: only its orientation
			// stays, in a segment of its own at the same place.
			exifSeen = true
			payload := make([]byte, n)
			if _, err := io.ReadFull(br, payload); err != nil {
				return err
			}
			if o := exifAPP1Orientation(payload); o > 1 {
				if _, err := w.Write(orientationAPP1(exifByteOrder(payload), o)); err != nil {
					return err
				}
			}
			continue
		}
		if !keepJPEGSegment(marker, prefix) {
			if _, err := br.Discard(n); err != nil {
				return err
			}
			continue
		}
		if _, err := w.Write([]byte{0xFF, marker, length[0], length[1]}); err != nil {
			return err
		}
		if err := copyN(w, br, int64(n)); err != nil {
			return err
		}
		inScan = marker == 0xDA // SOS: entropy-coded data follows
		scanned = scanned || inScan
	}
}

// keepJPEGSegment decides on a segment from its marker and the first bytes of
// its payload: application segments stay only for JFIF, an ICC profile or
// Adobe's colour transform flag; comments go.
func keepJPEGSegment(marker byte, prefix []byte) bool {
	switch {
	case marker == 0xE0:
		return bytes.HasPrefix(prefix, []byte("JFIF\x00"))
	case marker == 0xE2:
		return bytes.HasPrefix(prefix, []byte("ICC_PROFILE\x00"))
	case marker == 0xEE:
		return bytes.HasPrefix(prefix, []byte("Adobe"))
	case 0xE1 <= marker && marker <= 0xEF, marker == 0xFE:
		return false
	}
	return true
}

// droppedPNGChunks are the chunks that may carry a place, a device or a time.
var droppedPNGChunks = map[string]bool{"eXIf": true, "tEXt": true, "zTXt": true, "iTXt": true, "tIME": true}

// stripPNG copies the PNG chunk by chunk up to IEND.
func stripPNG(br *bufio.Reader, w io.Writer) error {
	var sig [8]byte
	if _, err := io.ReadFull(br, sig[:]); err != nil {
		return err
	}
	if !bytes.Equal(sig[:], pngSignature) {
		return errMalformed
	}
	if _, err := w.Write(sig[:]); err != nil {
		return err
	}
	for first := true; ; first = false {
		var head [8]byte
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return err
		}
		length, typ := binary.BigEndian.Uint32(head[:4]), string(head[4:])
		if length > 1<<31-1 || first && typ != "IHDR" {
			return errMalformed
		}
		rest := int64(length) + 4 // data and CRC
		if droppedPNGChunks[typ] {
			if err := discard(br, rest); err != nil {
				return err
			}
			continue
		}
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		if err := copyN(w, br, rest); err != nil {
			return err
		}
		if typ == "IEND" {
			return nil
		}
	}
}

// WebP limits: chunks in one file, and the VP8X flags for EXIF and XMP.
const (
	maxWebPChunks = 4096
	webpFlagsMeta = 0x08 | 0x04
)

type webpChunk struct {
	fourCC string
	offset int64 // of the chunk header
	total  int64 // header, payload and padding
}

// stripWebP reads the chunk headers (through a window, so chunks next to each
// other cost one read), then writes the RIFF header with the new size and
// copies the chunks that stay, in one sequential pass.
func stripWebP(r io.ReaderAt, size int64, w io.Writer) error {
	win := newWindow(r, size)
	var head [12]byte
	b, err := win.at(0, len(head))
	if err != nil {
		return err
	}
	if copy(head[:], b) < len(head) {
		return errMalformed
	}
	riffSize := int64(binary.LittleEndian.Uint32(head[4:8]))
	if string(head[:4]) != "RIFF" || string(head[8:]) != "WEBP" || riffSize < 4 || 8+riffSize > size {
		return errMalformed
	}
	end := 8 + riffSize
	var kept []webpChunk
	outSize := int64(4)
	for pos := int64(12); pos < end; {
		if len(kept) == maxWebPChunks {
			return unsupported("the WebP image has too many chunks")
		}
		if end-pos < 8 {
			return errMalformed
		}
		ch, err := win.at(pos, 8)
		if err != nil {
			return err
		}
		payload := int64(binary.LittleEndian.Uint32(ch[4:]))
		c := webpChunk{fourCC: string(ch[:4]), offset: pos, total: 8 + payload + payload&1}
		if c.total > end-pos {
			return errMalformed
		}
		if pos == 12 && c.fourCC != "VP8 " && c.fourCC != "VP8L" && c.fourCC != "VP8X" ||
			c.fourCC == "VP8X" && (pos != 12 || payload < 10) {
			return errMalformed
		}
		if c.fourCC != "EXIF" && c.fourCC != "XMP " {
			kept = append(kept, c)
			outSize += c.total
		}
		pos += c.total
	}
	if outSize > 1<<32-1 {
		return errMalformed
	}

	binary.LittleEndian.PutUint32(head[4:8], uint32(outSize))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	// The chunks are in file order; the dropped ones between them are read
	// through, which costs less than a request of its own.
	br, pos := sequential(r, 12, end-12), int64(12)
	for _, c := range kept {
		if err := discard(br, c.offset-pos); err != nil {
			return err
		}
		rest := c.total
		if c.fourCC == "VP8X" {
			var vp8x [18]byte // header, flags, reserved, canvas size
			if _, err := io.ReadFull(br, vp8x[:]); err != nil {
				return err
			}
			vp8x[8] &^= webpFlagsMeta
			if _, err := w.Write(vp8x[:]); err != nil {
				return err
			}
			rest -= int64(len(vp8x))
		}
		if err := copyN(w, br, rest); err != nil {
			return err
		}
		pos = c.offset + c.total
	}
	return nil
}

// stripHEIC copies the file with the payloads of its metadata items zeroed,
// in one sequential pass (the zeroed payloads are read through, like the rest).
func stripHEIC(r io.ReaderAt, size int64, w io.Writer) error {
	h, err := parseHEICContainer(r, size)
	if err != nil {
		return err
	}
	ranges := h.metadataRanges()
	slices.SortFunc(ranges, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var zeros [4096]byte
	br, pos := sequential(r, 0, size), int64(0)
	for _, rg := range ranges {
		start, end := max(rg[0], pos), rg[1]
		if end <= start {
			continue
		}
		if err := copyN(w, br, start-pos); err != nil {
			return err
		}
		if err := discard(br, end-start); err != nil {
			return err
		}
		for n := end - start; n > 0; {
			k := min(n, int64(len(zeros)))
			if _, err := w.Write(zeros[:k]); err != nil {
				return err
			}
			n -= k
		}
		pos = end
	}
	return copyN(w, br, size-pos)
}
