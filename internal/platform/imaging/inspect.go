package imaging

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Meta is what Inspect learns about a valid image.
type Meta struct {
	Format        Format
	Width, Height int
}

// Inspector validates and decodes images, at most maxConcurrent at a time and
// none with more than maxPixels pixels. It is safe for concurrent use.
type Inspector struct {
	slots     chan struct{}
	maxPixels int64

	// Test hooks: waiting runs when a call finds every slot taken and starts
	// to wait; holding runs while a call holds a slot, before it decodes.
	waiting func()
	holding func()
}

// NewInspector returns an Inspector running at most maxConcurrent decodes at
// once and refusing images of more than maxPixels pixels (width × height).
// Both must be positive; NewInspector panics otherwise, as they come from
// configuration checked at start-up.
func NewInspector(maxConcurrent int, maxPixels int64) *Inspector {
	if maxConcurrent < 1 || maxPixels < 1 {
		panic(fmt.Sprintf("imaging: NewInspector(%d, %d): both limits must be positive", maxConcurrent, maxPixels))
	}
	return &Inspector{slots: make(chan struct{}, maxConcurrent), maxPixels: maxPixels}
}

// acquire takes a decode slot, waiting for one unless ctx ends first.
func (in *Inspector) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case in.slots <- struct{}{}:
	default:
		if in.waiting != nil {
			in.waiting()
		}
		select {
		case in.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if in.holding != nil {
		in.holding()
	}
	return func() { <-in.slots }, nil
}

// Inspect fully validates the image of format f and the given size read
// through r and returns its dimensions. JPEG, PNG and WebP are decoded
// completely after their declared dimensions passed the pixel limit; HEIC's
// container is parsed strictly (see the package comment). It waits for a
// decode slot, returning ctx.Err() if ctx ends first. An invalid image is
// errs.UnsupportedMedia.
func (in *Inspector) Inspect(ctx context.Context, f Format, r io.ReaderAt, size int64) (Meta, error) {
	if !f.known() {
		return Meta{}, unsupported("the file is not a JPEG, PNG, WebP or HEIC image")
	}
	if size <= 0 {
		return Meta{}, unsupported("the file is empty")
	}
	release, err := in.acquire(ctx)
	if err != nil {
		return Meta{}, err
	}
	defer release()

	if f == HEIC {
		c, err := parseHEIC(r, size)
		if err != nil {
			return Meta{}, err
		}
		if err := in.checkPixels(f, c.width, c.height); err != nil {
			return Meta{}, err
		}
		return Meta{Format: f, Width: c.width, Height: c.height}, nil
	}
	img, err := in.decode(f, r, size)
	if err != nil {
		return Meta{}, err
	}
	b := img.Bounds()
	return Meta{Format: f, Width: b.Dx(), Height: b.Dy()}, nil
}

func (in *Inspector) checkPixels(f Format, width, height int) error {
	if width <= 0 || height <= 0 {
		return unsupported("the file is not a valid %s image: it has no pixels", f.name())
	}
	if int64(width)*int64(height) > in.maxPixels {
		return unsupported("the %s image is %d×%d pixels, more than the %d pixels accepted",
			f.name(), width, height, in.maxPixels)
	}
	return nil
}

// decode decodes a JPEG, PNG or WebP image completely, after checking its
// declared dimensions. The caller holds a slot.
func (in *Inspector) decode(f Format, r io.ReaderAt, size int64) (image.Image, error) {
	var (
		decodeConfig func(io.Reader) (image.Config, error)
		decode       func(io.Reader) (image.Image, error)
	)
	switch f {
	case JPEG:
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	case PNG:
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case WebP:
		decodeConfig, decode = webp.DecodeConfig, webp.Decode
	default:
		return nil, unsupported("the %s image cannot be decoded", f.name())
	}
	src := &readerAt{r: r}
	cfg, err := decodeConfig(bufio.NewReader(io.NewSectionReader(src, 0, size)))
	if err != nil {
		return nil, src.blame(f, err)
	}
	if err := in.checkPixels(f, cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := decode(bufio.NewReader(io.NewSectionReader(src, 0, size)))
	if err != nil {
		return nil, src.blame(f, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, unsupported("the file is not a valid %s image", f.name())
	}
	return img, nil
}

// readerAt remembers the first failure of the reader it wraps, other than
// io.EOF, so that a storage failure is not mistaken for a bad image.
type readerAt struct {
	r   io.ReaderAt
	err error
}

func (ra *readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := ra.r.ReadAt(p, off)
	if err != nil && err != io.EOF && ra.err == nil {
		ra.err = err
	}
	return n, err
}

// blame turns an error met while reading an image of format f into the
// reader's own failure if it had one, and into errs.UnsupportedMedia
// otherwise (the bytes were read but are not a valid image).
func (ra *readerAt) blame(f Format, err error) error {
	if ra.err != nil {
		return fmt.Errorf("imaging: reading the %s image: %w", f.name(), ra.err)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	u := unsupported("the file is not a valid %s image", f.name())
	u.Err = err
	return u
}
