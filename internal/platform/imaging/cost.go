package imaging

import (
	"bufio"
	"encoding/binary"
	"io"
	"runtime"
)

// This file estimates, before decoding, how many bytes a decode will
// allocate, from the dimensions that DecodeConfig read and from the layout
// that the file's header declares. The estimates follow what the decoders in
// use allocate (image/jpeg, image/png, golang.org/x/image/webp and the
// resizing of github.com/disintegration/imaging); TestDecodeCostCoversAllocations
// checks each kind against the bytes a decode really allocates. They are
// upper bounds for the layouts the header declares, close to exact for the
// common ones (a baseline 4:2:0 JPEG, an 8-bit PNG).

// decodeOverhead covers what a decode allocates besides the pixels and the
// read buffers: the decoder's state and tables (JPEG Huffman tables, the zlib
// window and Huffman decoders of PNG, VP8L's Huffman groups and colour cache)
// and its small buffers.
const decodeOverhead = 256 << 10

// readBuffers is what reading a file of size bytes for Inspect or Thumbnail
// allocates in buffers (io.go): the header readers of config, of decodeCost
// and of the EXIF orientation scan, and the decode's sequential reader (up to
// 1.75 MiB; less for a file smaller than the chunks).
func readBuffers(size int64) int64 {
	return 3*bufferSize(size, headerChunk) + bufferSize(size, readChunk)
}

// overhead is what Inspect or Thumbnail allocate for a file of size bytes
// besides the pixels and what the pixels need.
func overhead(size int64) int64 { return decodeOverhead + readBuffers(size) }

// decodeCost estimates the bytes that decoding the w×h image of format f in
// r allocates. It reads the file's header (JPEG markers before the first
// scan, PNG chunks before the first IDAT, WebP chunks up to the image data);
// when the header cannot be read, it assumes the costliest layout the format
// allows, and the decode that follows reports the broken file.
func decodeCost(f Format, r io.ReaderAt, size int64, w, h int) int64 {
	px := int64(w) * int64(h)
	switch f {
	case JPEG:
		fr, ok := readJPEGFrame(r, size)
		if !ok {
			// Four components, 4:4:4, progressive, converted to CMYK.
			return px*(4*5+4) + overhead(size)
		}
		return fr.cost(w, h) + overhead(size)
	case PNG:
		return pngCost(r, size, w, h) + overhead(size)
	case WebP:
		return webpCost(r, size, w, h) + overhead(size)
	}
	return overhead(size)
}

// jpegFrame is what the header of a JPEG says about its decoded size.
type jpegFrame struct {
	progressive bool
	n           int // components
	h, v        [4]int
	id          [4]byte
	jfif        bool
	adobe       bool // an Adobe APP14 segment with its colour transform
	transform   byte
}

// jpegHeader starts reading a JPEG's header (after its SOI marker) through a
// header reader (io.go); ok is false when r is not a JPEG.
func jpegHeader(r io.ReaderAt, size int64) (*bufio.Reader, bool) {
	br := header(r, size)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return nil, false
	}
	return br, true
}

// nextJPEGMarker reads up to the next marker of a JPEG header (skipping fill
// bytes) and, for a segment, its payload length n; n is -1 for the markers
// without a payload (RSTn, TEM) and for those that end a header walk (SOS,
// EOI, SOI, 0x00). ok is false on a read error or a malformed length.
func nextJPEGMarker(br *bufio.Reader) (marker byte, n int, ok bool) {
	b, err := br.ReadByte()
	for err == nil && b != 0xFF {
		b, err = br.ReadByte()
	}
	for err == nil && b == 0xFF {
		b, err = br.ReadByte()
	}
	switch {
	case err != nil:
		return 0, 0, false
	case b == 0x01 || 0xD0 <= b && b <= 0xD7 || b == 0xDA || b == 0xD9 || b == 0xD8 || b == 0x00:
		return b, -1, true
	}
	var length [2]byte
	if _, err := io.ReadFull(br, length[:]); err != nil {
		return b, 0, false
	}
	n = int(binary.BigEndian.Uint16(length[:])) - 2
	return b, n, n >= 0
}

// readJPEGFrame walks the marker segments of a JPEG up to its first scan
// (SOS) and returns its frame header (SOFn) and the colour hints (JFIF APP0,
// Adobe APP14) that decide image/jpeg's output. A frame is progressive when
// its SOF marker is one of the progressive ones (SOF2, SOF6, SOF10, SOF14),
// wherever it stands before the first scan. It reads the first size bytes of
// r through a header reader (io.go): one ReadAt for nearly every file.
func readJPEGFrame(r io.ReaderAt, size int64) (jpegFrame, bool) {
	var fr jpegFrame
	br, ok := jpegHeader(r, size)
	if !ok {
		return fr, false
	}
	for {
		b, n, ok := nextJPEGMarker(br)
		switch {
		case !ok || b == 0xD9 || b == 0x00 || b == 0xD8: // EOI, invalid
			return fr, false
		case b == 0xDA: // SOS: the header is over
			return fr, fr.n > 0
		case n < 0: // no payload
			continue
		}
		isSOF := 0xC0 <= b && b <= 0xCF && b != 0xC4 && b != 0xC8 && b != 0xCC // not DHT, JPG, DAC
		if !isSOF && b != 0xE0 && b != 0xEE {
			if _, err := br.Discard(n); err != nil {
				return fr, false
			}
			continue
		}
		// Only the first bytes matter: a frame header of four components
		// is 18 bytes, the JFIF and Adobe signatures and flag fit in 12.
		payload, err := br.Peek(min(n, 6+3*4))
		if err != nil {
			return fr, false
		}
		switch {
		case isSOF:
			if fr.n != 0 || n < 6 {
				return fr, false // image/jpeg refuses a second frame too
			}
			fr.progressive = b&0x03 == 0x02 // SOF2, SOF6, SOF10, SOF14
			fr.n = int(payload[5])
			if fr.n < 1 || fr.n > 4 || len(payload) < 6+3*fr.n {
				return fr, false
			}
			for i := range fr.n {
				c := payload[6+3*i:]
				fr.id[i], fr.h[i], fr.v[i] = c[0], max(int(c[1]>>4), 1), max(int(c[1]&0x0F), 1)
			}
		case b == 0xE0 && n >= 5 && string(payload[:5]) == "JFIF\x00":
			fr.jfif = true
		case b == 0xEE && n >= 12 && string(payload[:5]) == "Adobe":
			fr.adobe, fr.transform = true, payload[11]
		}
		if _, err := br.Discard(n); err != nil {
			return fr, false
		}
	}
}

// cost is what image/jpeg allocates to decode a w×h image of this frame: one
// plane per component (padded to whole MCUs: a 4:2:0 image takes 1.5 bytes a
// pixel, a 4:4:4 one 3); for a progressive frame, every coefficient of every
// component besides (64 int32 per 8×8 block, 4 bytes per sample), as the
// decoder keeps them all until the last scan; and an RGBA or CMYK copy of 4
// bytes a pixel for RGB and four-component images.
func (fr jpegFrame) cost(w, h int) int64 {
	hmax, vmax := 1, 1
	for i := range fr.n {
		hmax, vmax = max(hmax, fr.h[i]), max(vmax, fr.v[i])
	}
	mxx := (int64(w) + 8*int64(hmax) - 1) / (8 * int64(hmax))
	myy := (int64(h) + 8*int64(vmax) - 1) / (8 * int64(vmax))
	var planes int64
	for i := range fr.n {
		planes += 8 * int64(fr.h[i]) * mxx * 8 * int64(fr.v[i]) * myy
	}
	cost := planes
	if fr.progressive {
		cost += 4 * planes
	}
	if fr.n == 4 || fr.n == 3 && fr.rgb() {
		cost += 4 * int64(w) * int64(h)
	}
	return cost
}

// rgb reports whether image/jpeg converts a three-component image to RGBA
// rather than returning its YCbCr planes (the same test as its isRGB).
func (fr jpegFrame) rgb() bool {
	if fr.jfif {
		return false
	}
	if fr.adobe && fr.transform == 0 {
		return true
	}
	return fr.id[0] == 'R' && fr.id[1] == 'G' && fr.id[2] == 'B'
}

// PNG colour types.
const (
	pngGray      = 0
	pngTrueColor = 2
	pngPaletted  = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// pngCost is what image/png allocates to decode a w×h PNG: the image in the
// colour model it decodes to, twice for an interlaced (Adam7) image whose
// seven passes are decoded into images of their own before they are merged,
// and two rows of filter buffers. The colour model is read from IHDR and from
// a tRNS chunk before IDAT, since a tRNS turns an 8-bit grey image into
// NRGBA (4 bytes a pixel, not 1) and a 16-bit one into NRGBA64 (8, not 2);
// image/png's DecodeConfig does not look for tRNS in non-paletted images.
// The chunks are read through a window (io.go): one ReadAt for nearly every
// file.
func pngCost(r io.ReaderAt, size int64, w, h int) int64 {
	px := int64(w) * int64(h)
	worst := 2*8*px + 2*(8*int64(w)+1)
	if size < 33 {
		return worst
	}
	win := newWindow(r, size)
	ihdr, err := win.at(16, 13)
	if err != nil || len(ihdr) < 13 {
		return worst
	}
	depth, colorType, interlaced := int64(ihdr[8]), ihdr[9], ihdr[12] == 1
	trns := false
	for pos, chunks := int64(33), 0; pos+8 <= size && chunks < maxPNGHeaderChunks; chunks++ {
		ch, err := win.at(pos, 8)
		if err != nil || len(ch) < 8 {
			return worst
		}
		typ := string(ch[4:])
		if typ == "IDAT" || typ == "IEND" {
			break
		}
		trns = trns || typ == "tRNS"
		pos += 12 + int64(binary.BigEndian.Uint32(ch[:4]))
	}
	var bpp, channels int64 // bytes a pixel decoded, samples a pixel in the file
	switch colorType {
	case pngGray:
		bpp, channels = 1, 1
		if depth == 16 {
			bpp = 2
		}
		if trns {
			bpp = 4 * max(depth/8, 1)
		}
	case pngTrueColor:
		bpp, channels = 4*max(depth/8, 1), 3
	case pngPaletted:
		bpp, channels = 1, 1
	case pngGrayAlpha:
		bpp, channels = 4*max(depth/8, 1), 2
	case pngRGBA:
		bpp, channels = 4*max(depth/8, 1), 4
	default:
		return worst
	}
	cost := bpp * px
	if interlaced {
		cost *= 2
	}
	rowBytes := 1 + (channels*depth*int64(w)+7)/8
	return cost + 2*rowBytes
}

// maxPNGHeaderChunks bounds the chunks pngCost reads before IDAT.
const maxPNGHeaderChunks = 1024

// webpCost is what golang.org/x/webp allocates to decode a w×h WebP:
//   - lossy (VP8): the 4:2:0 YCbCr image padded to whole 16×16 macroblocks
//     (1.5 bytes a pixel) and the compressed data, which the decoder reads
//     whole (at most the file's size);
//   - lossless (VP8L): the NRGBA image (4 bytes a pixel), plus, with a colour
//     indexing transform that packs pixels, the packed image (at most half as
//     wide), plus the transform and entropy sub-images (at most a quarter of
//     the pixels each): 7 bytes a pixel at most, 4 in the common case;
//   - an alpha channel (ALPH): 1 byte a pixel, plus, when it is compressed,
//     the whole lossless decode of a w×h image it is extracted from.
//
// The layout is read from the chunks up to the image data, through a window
// (io.go): one ReadAt for nearly every file.
func webpCost(r io.ReaderAt, size int64, w, h int) int64 {
	px := int64(w) * int64(h)
	const lossless = 7
	lossy := 3*((int64(w)+15)/16*16)*((int64(h)+15)/16*16)/2 + size
	worst := lossy + (1+lossless)*px
	win := newWindow(r, size)
	for pos, chunks := int64(12), 0; pos+8 <= size && chunks < maxWebPChunks; chunks++ {
		ch, err := win.at(pos, 9)
		n := len(ch)
		if n < 8 || err != nil {
			return worst
		}
		switch string(ch[:4]) {
		case "VP8L":
			return lossless * px
		case "VP8 ":
			return lossy
		case "ALPH":
			if n < 9 {
				return worst
			}
			alpha := px
			if ch[8]&0x03 != 0 { // compressed (losslessly)
				alpha += lossless * px
			}
			// ALPH precedes the VP8 chunk, which must follow.
			return lossy + alpha
		}
		payload := int64(binary.LittleEndian.Uint32(ch[4:8]))
		pos += 8 + payload + payload&1
	}
	return worst
}

// thumbnailCost estimates what Thumbnail allocates besides the decode of a
// w×h image made to fit in maxSide×maxSide: imaging.Fit's horizontal pass
// (an NRGBA of the new width and the old height) and vertical pass (the
// result), its filter weights (16 bytes each; Lanczos reaches 3 source pixels
// each side, scaled) and one source row or column per worker; then the
// oriented copy and the copy flattened on white. An image that fits already
// is copied (imaging.Clone) rather than resized.
func thumbnailCost(w, h, maxSide int) int64 {
	dstW, dstH := fitSize(w, h, maxSide)
	W, H, dw, dh := int64(w), int64(h), int64(dstW), int64(dstH)
	result := 4 * dw * dh
	if dstW == w && dstH == h {
		return 3*result + decodeOverhead
	}
	procs := int64(runtime.GOMAXPROCS(0))
	weights := 16*2*(3*(W+H)+3*(dw+dh)) + 24*(dw+dh)
	return 4*dw*H + result + weights + 4*procs*(W+H) + 2*result + decodeOverhead
}

// fitSize is the size imaging.Fit gives a w×h image fitted in side×side.
func fitSize(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(int(float64(side)*float64(h)/float64(w)), 1)
	}
	return max(int(float64(side)*float64(w)/float64(h)), 1), side
}
