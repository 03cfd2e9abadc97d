package imaging

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// Limits of the HEIC container parser: how much of the file is read whole, and
// how many top-level boxes a file may have.
const (
	maxMetaSize      = 4 << 20
	maxFtypSize      = 4 << 10
	maxTopLevelBoxes = 1024
)

// heifFile is what parseHEIC learns of an HEIC container.
type heifFile struct {
	size          int64
	width, height int
	primary       uint32
	items         map[uint32]*heifItem
	locs          map[uint32]*itemLocation
	hasIdat       bool
	idatOffset    int64 // file offset of the idat box's payload
	idatLength    int64
}

type heifItem struct {
	id          uint32
	typ         string // four-character item type: hvc1, grid, Exif, mime…
	contentType string // for mime items
	protected   bool
}

// itemLocation is an item's iloc entry.
type itemLocation struct {
	method     uint8 // 0 file offset, 1 idat offset, 2 item offset
	dataRef    uint16
	baseOffset uint64
	extents    []extent
}

type extent struct{ offset, length uint64 }

func malformedHEIC(detail string) error {
	return unsupported("the file is not a valid HEIC image: %s", detail)
}

// parseHEIC parses the ISO BMFF container of an HEIC image strictly: ftyp
// first, one meta box with a 'pict' handler, a primary item of HEVC coding
// (hvc1, or a grid of hvc1 tiles) with its ispe dimensions, and item extents
// inside the file. Only the meta box is held in memory. The boxes are read
// through a window (io.go): the ftyp and meta boxes and the header of the mdat
// box that follows, at the start of the file, in one ReadAt.
func parseHEIC(r io.ReaderAt, size int64) (*heifFile, error) {
	src := &readerAt{r: r}
	h, err := parseHEICContainer(src, size)
	if err != nil {
		if src.err != nil {
			return nil, fmt.Errorf("imaging: reading the HEIC image: %w", src.err)
		}
		return nil, err
	}
	return h, nil
}

func parseHEICContainer(r io.ReaderAt, size int64) (*heifFile, error) {
	h := &heifFile{size: size}
	win := newWindow(r, size)
	var seenMeta bool
	for off, n := int64(0), 0; off < size; n++ {
		if n == maxTopLevelBoxes {
			return nil, malformedHEIC("too many boxes")
		}
		head, err := readAt(win, off, min(16, size-off))
		if err != nil {
			return nil, err
		}
		if len(head) < 8 {
			return nil, malformedHEIC("truncated box")
		}
		boxSize, typ, headLen := uint64(binary.BigEndian.Uint32(head)), string(head[4:8]), int64(8)
		switch boxSize {
		case 0:
			boxSize = uint64(size - off)
		case 1:
			if len(head) < 16 {
				return nil, malformedHEIC("truncated box")
			}
			boxSize, headLen = binary.BigEndian.Uint64(head[8:]), 16
		}
		if boxSize < uint64(headLen) || boxSize > uint64(size-off) {
			return nil, malformedHEIC(fmt.Sprintf("box %q does not fit in the file", printable(typ)))
		}
		payloadLen := int64(boxSize) - headLen
		switch {
		case n == 0 && typ != "ftyp":
			return nil, malformedHEIC("no ftyp box at the start")
		case typ == "ftyp":
			if n != 0 {
				return nil, malformedHEIC("a second ftyp box")
			}
			if payloadLen < 8 || payloadLen > maxFtypSize || (payloadLen-8)%4 != 0 {
				return nil, malformedHEIC("bad ftyp box")
			}
			body, err := readAt(win, off+headLen, payloadLen)
			if err != nil {
				return nil, err
			}
			var compatible []string
			for i := 8; i+4 <= len(body); i += 4 {
				compatible = append(compatible, string(body[i:i+4]))
			}
			if !heicBrands(string(body[:4]), compatible) {
				return nil, malformedHEIC("its brands are not HEIC brands")
			}
		case typ == "meta":
			if seenMeta {
				return nil, malformedHEIC("a second meta box")
			}
			seenMeta = true
			if payloadLen > maxMetaSize {
				return nil, unsupported("the HEIC image carries more than %d MiB of metadata", maxMetaSize>>20)
			}
			body, err := readAt(win, off+headLen, payloadLen)
			if err != nil {
				return nil, err
			}
			if err := h.parseMeta(body, off+headLen); err != nil {
				return nil, err
			}
		}
		off += int64(boxSize)
	}
	if !seenMeta {
		return nil, malformedHEIC("no meta box")
	}
	return h, nil
}

// parseMeta parses the meta box's payload, found at file offset base.
func (h *heifFile) parseMeta(b []byte, base int64) error {
	f := fields{b: b}
	if version, _ := f.fullBox(); f.bad || version != 0 {
		return malformedHEIC("bad meta box")
	}
	children, err := childBoxes(f.b, base+4)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var props []box
	assoc := map[uint32][]int{}
	for _, c := range children {
		switch c.typ {
		case "hdlr", "pitm", "iinf", "iloc", "iprp", "idat":
			if seen[c.typ] {
				return malformedHEIC("a second " + c.typ + " box")
			}
			seen[c.typ] = true
		}
		switch c.typ {
		case "hdlr":
			err = parseHdlr(c.data)
		case "pitm":
			h.primary, err = parsePitm(c.data)
		case "iinf":
			h.items, err = parseIinf(c)
		case "iloc":
			err = h.parseIloc(c.data)
		case "iprp":
			props, err = parseIprp(c, assoc)
		case "idat":
			h.hasIdat, h.idatOffset, h.idatLength = true, c.offset, int64(len(c.data))
		}
		if err != nil {
			return err
		}
	}
	for _, name := range []string{"hdlr", "pitm", "iinf", "iloc", "iprp"} {
		if !seen[name] {
			return malformedHEIC("no " + name + " box")
		}
	}
	return h.checkPrimary(props, assoc[h.primary])
}

func parseHdlr(b []byte) error {
	f := fields{b: b}
	f.fullBox()
	f.u32() // pre_defined
	if handler := f.fourCC(); f.bad || handler != "pict" {
		return malformedHEIC("its handler is not 'pict'")
	}
	return nil
}

func parsePitm(b []byte) (uint32, error) {
	f := fields{b: b}
	var id uint32
	if version, _ := f.fullBox(); version == 0 {
		id = uint32(f.u16())
	} else {
		id = f.u32()
	}
	if f.bad {
		return 0, malformedHEIC("bad pitm box")
	}
	return id, nil
}

func parseIinf(c box) (map[uint32]*heifItem, error) {
	f := fields{b: c.data}
	var count uint32
	if version, _ := f.fullBox(); version == 0 {
		count = uint32(f.u16())
	} else {
		count = f.u32()
	}
	if f.bad {
		return nil, malformedHEIC("bad iinf box")
	}
	entries, err := childBoxes(f.b, c.offset+int64(len(c.data)-len(f.b)))
	if err != nil {
		return nil, err
	}
	items := map[uint32]*heifItem{}
	for _, e := range entries {
		if e.typ != "infe" {
			continue
		}
		it, err := parseInfe(e.data)
		if err != nil {
			return nil, err
		}
		if items[it.id] != nil {
			return nil, malformedHEIC("two items share an id")
		}
		items[it.id] = it
	}
	if uint64(len(items)) != uint64(count) {
		return nil, malformedHEIC("its item count is wrong")
	}
	return items, nil
}

func parseInfe(b []byte) (*heifItem, error) {
	f := fields{b: b}
	version, _ := f.fullBox()
	if version < 2 || version > 3 {
		return nil, malformedHEIC("unsupported item info version")
	}
	it := &heifItem{}
	if version == 2 {
		it.id = uint32(f.u16())
	} else {
		it.id = f.u32()
	}
	it.protected = f.u16() != 0
	it.typ = f.fourCC()
	f.cstring() // item_name
	if it.typ == "mime" {
		it.contentType = f.cstring()
	}
	if f.bad {
		return nil, malformedHEIC("bad item info entry")
	}
	return it, nil
}

func (h *heifFile) parseIloc(b []byte) error {
	f := fields{b: b}
	version, _ := f.fullBox()
	if version > 2 {
		return malformedHEIC("unsupported item location version")
	}
	sizes := f.u16()
	offsetSize, lengthSize := int(sizes>>12), int(sizes>>8&15)
	baseOffsetSize, indexSize := int(sizes>>4&15), 0
	if version > 0 {
		indexSize = int(sizes & 15)
	}
	for _, n := range []int{offsetSize, lengthSize, baseOffsetSize, indexSize} {
		if n != 0 && n != 4 && n != 8 {
			return malformedHEIC("bad item location field size")
		}
	}
	var count uint32
	if version < 2 {
		count = uint32(f.u16())
	} else {
		count = f.u32()
	}
	locs := map[uint32]*itemLocation{}
	for i := uint32(0); i < count && !f.bad; i++ {
		var id uint32
		if version < 2 {
			id = uint32(f.u16())
		} else {
			id = f.u32()
		}
		loc := &itemLocation{}
		if version > 0 {
			loc.method = uint8(f.u16() & 15)
		}
		loc.dataRef = f.u16()
		loc.baseOffset = f.uint(baseOffsetSize)
		n := int(f.u16())
		for j := 0; j < n && !f.bad; j++ {
			f.uint(indexSize)
			loc.extents = append(loc.extents, extent{offset: f.uint(offsetSize), length: f.uint(lengthSize)})
		}
		if locs[id] != nil {
			return malformedHEIC("two locations for one item")
		}
		locs[id] = loc
	}
	if f.bad {
		return malformedHEIC("bad iloc box")
	}
	h.locs = locs
	return nil
}

// parseIprp returns the properties of ipco, in order (ipma indexes count from
// 1), and adds ipma's associations to assoc.
func parseIprp(c box, assoc map[uint32][]int) ([]box, error) {
	children, err := childBoxes(c.data, c.offset)
	if err != nil {
		return nil, err
	}
	var props []box
	seenIpco := false
	for _, c := range children {
		switch c.typ {
		case "ipco":
			if seenIpco {
				return nil, malformedHEIC("a second ipco box")
			}
			seenIpco = true
			if props, err = childBoxes(c.data, c.offset); err != nil {
				return nil, err
			}
		case "ipma":
			if err := parseIpma(c.data, assoc); err != nil {
				return nil, err
			}
		}
	}
	if !seenIpco {
		return nil, malformedHEIC("no ipco box")
	}
	for _, indexes := range assoc {
		for _, i := range indexes {
			if i > len(props) {
				return nil, malformedHEIC("an item property does not exist")
			}
		}
	}
	return props, nil
}

func parseIpma(b []byte, assoc map[uint32][]int) error {
	f := fields{b: b}
	version, flags := f.fullBox()
	count := f.u32()
	for i := uint32(0); i < count && !f.bad; i++ {
		var id uint32
		if version < 1 {
			id = uint32(f.u16())
		} else {
			id = f.u32()
		}
		n := int(f.u8())
		for j := 0; j < n && !f.bad; j++ {
			var index int
			if flags&1 != 0 {
				index = int(f.u16() & 0x7FFF)
			} else {
				index = int(f.u8() & 0x7F)
			}
			if index != 0 {
				assoc[id] = append(assoc[id], index)
			}
		}
	}
	if f.bad {
		return malformedHEIC("bad ipma box")
	}
	return nil
}

// checkPrimary checks the primary item (its coding, dimensions and data) and
// that every item's data lies inside the file; props and indexes are the item
// properties and the primary item's associations.
func (h *heifFile) checkPrimary(props []box, indexes []int) error {
	item := h.items[h.primary]
	switch {
	case item == nil:
		return malformedHEIC("no primary item")
	case item.protected:
		return unsupported("encrypted HEIC images are not accepted")
	case item.typ == "av01":
		return unsupported("AVIF images are not accepted; use JPEG, PNG, WebP or HEIC")
	case item.typ != "hvc1" && item.typ != "grid":
		return unsupported("the HEIC image's picture is coded as %q, which is not accepted", printable(item.typ))
	}
	var hasSize, hasCodecConfig bool
	for _, i := range indexes {
		p := props[i-1]
		switch p.typ {
		case "ispe":
			if hasSize {
				continue
			}
			f := fields{b: p.data}
			f.fullBox()
			w, hgt := f.u32(), f.u32()
			if f.bad || w == 0 || hgt == 0 || w > math.MaxInt32 || hgt > math.MaxInt32 {
				return malformedHEIC("bad image size")
			}
			h.width, h.height, hasSize = int(w), int(hgt), true
		case "hvcC":
			hasCodecConfig = true
		}
	}
	if !hasSize {
		return malformedHEIC("the primary image has no size")
	}
	if item.typ == "hvc1" && !hasCodecConfig {
		return malformedHEIC("the primary image has no decoder configuration")
	}

	loc := h.locs[h.primary]
	switch {
	case loc == nil || len(loc.extents) == 0:
		return malformedHEIC("the primary image has no data")
	case loc.method > 1 || loc.dataRef != 0:
		return unsupported("the HEIC image's data is stored in a way that is not accepted")
	}
	for _, loc := range h.locs {
		if loc.method > 1 || loc.dataRef != 0 {
			continue // not in this file's bytes or idat; never followed
		}
		for _, e := range loc.extents {
			if _, _, ok := h.extentRange(loc, e); !ok {
				return malformedHEIC("item data lies outside the file")
			}
		}
	}
	return nil
}

// extentRange resolves an extent of a location (method 0 or 1, this file)
// to a range of file offsets; ok is false when it lies outside its container.
func (h *heifFile) extentRange(loc *itemLocation, e extent) (start, end int64, ok bool) {
	lo, hi := int64(0), h.size // the container: the file, or the idat payload
	if loc.method == 1 {
		if !h.hasIdat {
			return 0, 0, false
		}
		lo, hi = h.idatOffset, h.idatOffset+h.idatLength
	}
	avail := uint64(hi - lo)
	rel := loc.baseOffset + e.offset
	if rel < loc.baseOffset || rel > avail {
		return 0, 0, false
	}
	length := e.length
	if length == 0 { // zero means "to the end of the container"
		length = avail - rel
	}
	if length > avail-rel {
		return 0, 0, false
	}
	return lo + int64(rel), lo + int64(rel+length), true
}

// metadataRanges are the file ranges holding the payloads of Exif items and of
// XMP (mime application/rdf+xml) items.
func (h *heifFile) metadataRanges() [][2]int64 {
	var ranges [][2]int64
	for id, it := range h.items {
		ct, _, _ := strings.Cut(it.contentType, ";")
		isXMP := it.typ == "mime" && strings.EqualFold(strings.TrimSpace(ct), "application/rdf+xml")
		loc := h.locs[id]
		if (it.typ != "Exif" && !isXMP) || loc == nil || loc.method > 1 || loc.dataRef != 0 {
			continue
		}
		for _, e := range loc.extents {
			if start, end, ok := h.extentRange(loc, e); ok && end > start {
				ranges = append(ranges, [2]int64{start, end})
			}
		}
	}
	return ranges
}
