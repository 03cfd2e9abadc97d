package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"io"

	"github.com/disintegration/imaging"
)

// This file reads the EXIF Orientation tag (0x0112) of a JPEG, writes the
// minimal Exif segment that Strip keeps in place of the original, and applies
// the orientation to decoded pixels.

// exifHeader starts the payload of a JPEG APP1 segment holding Exif.
const exifHeader = "Exif\x00\x00"

// TIFF/EXIF constants: the Orientation tag, the SHORT type, and the size of
// the TIFF header and of one IFD entry.
const (
	tagOrientation = 0x0112
	typeShort      = 3
	tiffHeaderSize = 8
	ifdEntrySize   = 12
)

// isExifAPP1 reports whether a segment of the given marker, whose payload
// starts with prefix, is an Exif APP1.
func isExifAPP1(marker byte, prefix []byte) bool {
	return marker == 0xE1 && bytes.HasPrefix(prefix, []byte(exifHeader))
}

// exifOrientation returns the Orientation (1 to 8) in IFD0 of the TIFF data
// of an Exif block, or 0 if there is none or the data is malformed: an
// unknown byte order, an IFD0 that starts or ends past the data, or an
// Orientation entry that is not one SHORT of 1 to 8. Only IFD0 is read.
func exifOrientation(tiff []byte) int {
	if len(tiff) < tiffHeaderSize {
		return 0
	}
	var order binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0
	}
	ifd := uint64(order.Uint32(tiff[4:8]))
	if ifd < tiffHeaderSize || ifd+2 > uint64(len(tiff)) {
		return 0
	}
	count := uint64(order.Uint16(tiff[ifd:]))
	entries := ifd + 2
	if entries+count*ifdEntrySize > uint64(len(tiff)) {
		return 0 // truncated IFD
	}
	for i := range count {
		e := tiff[entries+i*ifdEntrySize:][:ifdEntrySize]
		if order.Uint16(e[0:2]) != tagOrientation {
			continue
		}
		if order.Uint16(e[2:4]) != typeShort || order.Uint32(e[4:8]) != 1 {
			return 0
		}
		// A single SHORT sits in the first two bytes of the value field.
		if v := int(order.Uint16(e[8:10])); 1 <= v && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// exifAPP1Orientation is exifOrientation for the payload of an Exif APP1
// segment (the "Exif\0\0" header, then TIFF data).
func exifAPP1Orientation(payload []byte) int {
	if !bytes.HasPrefix(payload, []byte(exifHeader)) {
		return 0
	}
	return exifOrientation(payload[len(exifHeader):])
}

// orientationAPP1 is a complete APP1 segment (marker, length and payload)
// whose Exif holds a TIFF header in the given byte order and an IFD0 with one
// entry, Orientation o, and no next IFD: nothing that could identify a place
// or a device.
func orientationAPP1(order binary.AppendByteOrder, o int) []byte {
	const payloadLen = len(exifHeader) + tiffHeaderSize + 2 + ifdEntrySize + 4
	b := []byte{0xFF, 0xE1}
	b = binary.BigEndian.AppendUint16(b, uint16(2+payloadLen))
	b = append(b, exifHeader...)
	if order == binary.LittleEndian {
		b = append(b, "II*\x00"...)
	} else {
		b = append(b, "MM\x00*"...)
	}
	b = order.AppendUint32(b, tiffHeaderSize) // IFD0 right after the header
	b = order.AppendUint16(b, 1)              // one entry
	b = order.AppendUint16(b, tagOrientation)
	b = order.AppendUint16(b, typeShort)
	b = order.AppendUint32(b, 1) // count
	b = order.AppendUint16(b, uint16(o))
	b = order.AppendUint16(b, 0) // padding of the value field
	return order.AppendUint32(b, 0)
}

// exifByteOrder is the byte order of the TIFF data in an Exif APP1 payload
// that exifAPP1Orientation accepted.
func exifByteOrder(payload []byte) binary.AppendByteOrder {
	if bytes.HasPrefix(payload[len(exifHeader):], []byte("II")) {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// jpegOrientation walks the marker segments of a JPEG's header, up to the
// first SOS, and returns the Orientation of its first Exif APP1 segment: 1
// when there is none, it has no Orientation or it is malformed. This is the
// segment, and the rule, that stripJPEG uses to decide what it keeps. It reads
// the first size bytes of r through a header reader (io.go), one ReadAt for
// nearly every file, and holds at most one segment (64 KiB) besides.
func jpegOrientation(r io.ReaderAt, size int64) int {
	br, ok := jpegHeader(r, size)
	if !ok {
		return 1
	}
	for {
		b, n, ok := nextJPEGMarker(br)
		switch {
		case !ok || b == 0xDA || b == 0xD9 || b == 0x00 || b == 0xD8: // SOS, EOI, invalid
			return 1
		case n < 0: // no payload
			continue
		}
		if b != 0xE1 {
			if _, err := br.Discard(n); err != nil {
				return 1
			}
			continue
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return 1
		}
		if isExifAPP1(b, payload) {
			return max(exifAPP1Orientation(payload), 1)
		}
	}
}

// orient turns img, stored as an EXIF orientation o describes, upright.
func orient(img *image.NRGBA, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img) // 90° clockwise
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img) // 90° counter-clockwise
	}
	return img
}
