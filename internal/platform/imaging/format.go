package imaging

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Format is an accepted image format, named by its media type.
type Format string

// The accepted formats.
const (
	JPEG Format = "image/jpeg"
	PNG  Format = "image/png"
	WebP Format = "image/webp"
	HEIC Format = "image/heic"
)

// SniffLen is how many leading bytes Sniff needs (fewer when the file is shorter).
const SniffLen = 64

// name is the format's name in client messages.
func (f Format) name() string {
	switch f {
	case JPEG:
		return "JPEG"
	case PNG:
		return "PNG"
	case WebP:
		return "WebP"
	case HEIC:
		return "HEIC"
	}
	return string(f)
}

func (f Format) known() bool {
	switch f {
	case JPEG, PNG, WebP, HEIC:
		return true
	}
	return false
}

// unsupported is the UnsupportedMedia error with a client-safe message.
func unsupported(format string, args ...any) *errs.Error {
	return errs.E(errs.UnsupportedMedia, format, args...)
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// HEIF brands: those naming HEVC coding, the generic image brands that may
// stand for any coding, and the AV1 ones that make a file AVIF.
var (
	hevcBrands    = []string{"heic", "heix", "heim", "heis", "hevc", "hevx"}
	genericBrands = []string{"mif1", "msf1"}
	avifBrands    = []string{"avif", "avis"}
)

// Sniff decides the format from the first bytes of a file (SniffLen of them
// suffice). Anything that is not JPEG, PNG, WebP or HEIC, including AVIF, is
// errs.UnsupportedMedia.
func Sniff(head []byte) (Format, error) {
	switch {
	case len(head) == 0:
		return "", unsupported("the file is empty")
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, nil
	case bytes.HasPrefix(head, pngSignature):
		return PNG, nil
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP, nil
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		major, compatible := ftypBrands(head)
		if heicBrands(major, compatible) {
			return HEIC, nil
		}
		if isOneOf(major, avifBrands) || anyOf(compatible, avifBrands) {
			return "", unsupported("AVIF images are not accepted; use JPEG, PNG, WebP or HEIC")
		}
	}
	return "", unsupported("the file is not a JPEG, PNG, WebP or HEIC image")
}

// starts are the fixed bytes Sniff recognises at the start of each accepted
// format ('?' is any byte): JPEG, PNG, WebP (RIFF…WEBP), HEIC (an ftyp box,
// whose brands follow; its 32-bit size is far below 64 KiB in any real file,
// so its first two bytes are zero).
var starts = []string{"\xFF\xD8\xFF", string(pngSignature), "RIFF????WEBP", "\x00\x00??ftyp"}

// MayStart reports whether head, fewer bytes than Sniff needs, can still be
// the beginning of an accepted image (a resumable upload's first bytes).
func MayStart(head []byte) bool {
	for _, start := range starts {
		fits := true
		for i := 0; i < len(head) && i < len(start) && fits; i++ {
			fits = start[i] == '?' || head[i] == start[i]
		}
		if fits {
			return true
		}
	}
	return false
}

// ftypBrands reads the brands of an ftyp box that starts head (as much of the
// box as head holds).
func ftypBrands(head []byte) (major string, compatible []string) {
	major = string(head[8:12])
	end := len(head)
	if n := binary.BigEndian.Uint32(head); n >= 16 && uint64(n) < uint64(end) {
		end = int(n)
	}
	for i := 16; i+4 <= end; i += 4 {
		compatible = append(compatible, string(head[i:i+4]))
	}
	return major, compatible
}

// heicBrands reports whether brands describe an HEVC-coded HEIF image: an AV1
// major brand means AVIF; a generic brand (mif1, msf1) counts unless an AV1
// brand says otherwise.
func heicBrands(major string, compatible []string) bool {
	if isOneOf(major, avifBrands) {
		return false
	}
	if isOneOf(major, hevcBrands) || anyOf(compatible, hevcBrands) {
		return true
	}
	generic := isOneOf(major, genericBrands) || anyOf(compatible, genericBrands)
	return generic && !anyOf(compatible, avifBrands)
}

func isOneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

func anyOf(list, set []string) bool {
	for _, s := range list {
		if isOneOf(s, set) {
			return true
		}
	}
	return false
}

// Declared media types and file name extensions, and the format each means.
var (
	declaredTypes = map[string]Format{
		"image/jpeg": JPEG, "image/pjpeg": JPEG, "image/jpg": JPEG,
		"image/png":  PNG,
		"image/webp": WebP,
		"image/heic": HEIC, "image/heif": HEIC,
	}
	extensions = map[string]Format{
		".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG,
		".png":  PNG,
		".webp": WebP,
		".heic": HEIC, ".heif": HEIC,
	}
)

// Agrees checks what a client said about a file against its sniffed format f:
// the declared media type (a multipart part's Content-Type; "" and
// "application/octet-stream" declare nothing, parameters are ignored) and the
// extension of filename ("" or no extension says nothing; case-insensitive).
// A disagreement, including an unknown type or extension, is
// errs.UnsupportedMedia naming both sides.
func Agrees(f Format, declared, filename string) error {
	if !f.known() {
		return unsupported("the file is not a JPEG, PNG, WebP or HEIC image")
	}
	mediaType, _, _ := strings.Cut(declared, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	if mediaType != "" && mediaType != "application/octet-stream" {
		if got, ok := declaredTypes[mediaType]; !ok || got != f {
			return unsupported("the file is a %s image but was declared as %s", f.name(), clip(mediaType))
		}
	}
	if ext := extension(filename); ext != "" {
		if got, ok := extensions[ext]; !ok || got != f {
			return unsupported("the file is a %s image but is named %s", f.name(), clip(ext))
		}
	}
	return nil
}

// extension is the lower-cased extension (with its dot) of the last element of
// a client's file name, which may carry a Unix or Windows path; "" if none.
func extension(filename string) string {
	if i := strings.LastIndexAny(filename, `/\`); i >= 0 {
		filename = filename[i+1:]
	}
	i := strings.LastIndexByte(filename, '.')
	if i < 0 || i == len(filename)-1 {
		return ""
	}
	return strings.ToLower(filename[i:])
}

// clip shortens what a client sent before it is echoed in a message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
