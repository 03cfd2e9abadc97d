package imaging

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"runtime"

	"golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Meta is what Inspect learns about a valid image.
type Meta struct {
	Format        Format
	Width, Height int
}

// Inspector validates and decodes images within a memory budget: before a
// decode it estimates, from the image's header, how many bytes the decode
// will allocate (decodeCost) and takes that many from the budget, waiting
// while other decodes hold it; images of more than maxPixels pixels are
// refused without decoding. An image whose estimate exceeds the whole budget
// is not refused: it takes the whole budget and so decodes alone. It is safe
// for concurrent use.
type Inspector struct {
	// budget is golang.org/x/sync/semaphore's Weighted. x/sync is one of
	// the Go team's golang.org/x modules, well kept (maintained and
	// released by the Go team, small, without dependencies) and already in
	// go.sum through other modules. Weighted serves its waiters in order,
	// so a large image waiting for the whole budget is not starved by small
	// ones arriving after it.
	budget      *semaphore.Weighted
	budgetBytes int64
	maxPixels   int64

	// Test hooks: waiting runs when a call finds too little of the budget
	// free and starts to wait; holding runs while a call holds its share,
	// before it decodes, with the bytes it holds.
	waiting func()
	holding func(n int64)
}

// NewInspector returns an Inspector whose decodes together hold at most
// budgetBytes of estimated memory, and that refuses images of more than
// maxPixels pixels (width × height). Both must be positive; NewInspector
// panics otherwise, as they come from configuration checked at start-up.
func NewInspector(budgetBytes int64, maxPixels int64) *Inspector {
	if budgetBytes < 1 || maxPixels < 1 {
		panic(fmt.Sprintf("imaging: NewInspector(%d, %d): both limits must be positive", budgetBytes, maxPixels))
	}
	return &Inspector{budget: semaphore.NewWeighted(budgetBytes), budgetBytes: budgetBytes, maxPixels: maxPixels}
}

// gcShare: after a decode that held more than 1/gcShare of the budget, its
// memory is collected at once (see release).
const gcShare = 4

// maxOverBudget: an image whose estimate is more than this many budgets is
// refused (415) rather than decoded alone — the one case the budget alone
// would not bound (e.g. a 50 MP progressive 4:4:4 JPEG, ~716 MiB).
const maxOverBudget = 8

// acquire takes n bytes of the budget (all of it when n is more), waiting
// for them unless ctx ends first. The returned release gives them back.
func (in *Inspector) acquire(ctx context.Context, n int64) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n > maxOverBudget*in.budgetBytes {
		return nil, unsupported("checking this image would take about %d MiB of memory, more than this server allows (%d MiB); send a smaller image or a baseline JPEG",
			n>>20, (maxOverBudget*in.budgetBytes)>>20)
	}
	n = min(max(n, 1), in.budgetBytes)
	if !in.budget.TryAcquire(n) {
		if in.waiting != nil {
			in.waiting()
		}
		if err := in.budget.Acquire(ctx, n); err != nil {
			return nil, err
		}
	}
	if in.holding != nil {
		in.holding(n)
	}
	return func() {
		if n > in.budgetBytes/gcShare {
			// The decode's bitmap (and a progressive JPEG's coefficients)
			// is garbage now. Left to the pacer, the heap would grow to
			// twice the live heap (GOGC=100) before collecting it, and the
			// next decode would allocate beside it; collecting before the
			// budget is released keeps the process near the budget.
			// Collecting after releasing does not: the next decode starts
			// at once and allocates while the collection runs. See
			// docs/PERFORMANCE.md.
			runtime.GC()
		}
		in.budget.Release(n)
	}, nil
}

// Inspect fully validates the image of format f and the given size read
// through r and returns its dimensions. JPEG, PNG and WebP are decoded
// completely after their declared dimensions passed the pixel limit, within
// the memory budget; HEIC's container is parsed strictly (see the package
// comment), within the budget too, for its meta box. It waits for its share
// of the budget, returning ctx.Err() if ctx ends first. An invalid image is
// errs.UnsupportedMedia.
func (in *Inspector) Inspect(ctx context.Context, f Format, r io.ReaderAt, size int64) (Meta, error) {
	if !f.known() {
		return Meta{}, unsupported("the file is not a JPEG, PNG, WebP or HEIC image")
	}
	if size <= 0 {
		return Meta{}, unsupported("the file is empty")
	}
	if err := ctx.Err(); err != nil {
		return Meta{}, err
	}

	if f == HEIC {
		release, err := in.acquire(ctx, min(size, maxMetaSize)+decodeOverhead+bufferSize(size, headerChunk))
		if err != nil {
			return Meta{}, err
		}
		defer release()
		c, err := parseHEIC(r, size)
		if err != nil {
			return Meta{}, err
		}
		if err := in.checkPixels(f, c.width, c.height); err != nil {
			return Meta{}, err
		}
		return Meta{Format: f, Width: c.width, Height: c.height}, nil
	}
	cfg, err := in.config(f, r, size)
	if err != nil {
		return Meta{}, err
	}
	release, err := in.acquire(ctx, decodeCost(f, r, size, cfg.Width, cfg.Height))
	if err != nil {
		return Meta{}, err
	}
	defer release()
	// The image is dropped before release runs: decodeMeta keeps only its size.
	return in.decodeMeta(f, r, size, cfg)
}

// decodeMeta decodes the image and returns its Meta; the caller holds its
// share of the budget.
func (in *Inspector) decodeMeta(f Format, r io.ReaderAt, size int64, cfg image.Config) (Meta, error) {
	img, err := in.decode(f, r, size, cfg)
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

// codec returns the functions of image/jpeg, image/png or x/image/webp for f.
func codec(f Format) (decodeConfig func(io.Reader) (image.Config, error), decode func(io.Reader) (image.Image, error), ok bool) {
	switch f {
	case JPEG:
		return jpeg.DecodeConfig, jpeg.Decode, true
	case PNG:
		return png.DecodeConfig, png.Decode, true
	case WebP:
		return webp.DecodeConfig, webp.Decode, true
	}
	return nil, nil, false
}

// config reads the declared dimensions of a JPEG, PNG or WebP image and
// checks them against the pixel limit, without decoding the pixels. It reads
// only the header, through a header reader (io.go).
func (in *Inspector) config(f Format, r io.ReaderAt, size int64) (image.Config, error) {
	decodeConfig, _, ok := codec(f)
	if !ok {
		return image.Config{}, unsupported("the %s image cannot be decoded", f.name())
	}
	src := &readerAt{r: r}
	cfg, err := decodeConfig(header(src, size))
	if err != nil {
		return image.Config{}, src.blame(f, err)
	}
	if err := in.checkPixels(f, cfg.Width, cfg.Height); err != nil {
		return image.Config{}, err
	}
	return cfg, nil
}

// decode decodes a JPEG, PNG or WebP image completely and checks that it has
// the dimensions config read, reading the file in readChunk pieces (io.go).
// The caller holds its share of the budget.
func (in *Inspector) decode(f Format, r io.ReaderAt, size int64, cfg image.Config) (image.Image, error) {
	_, decode, ok := codec(f)
	if !ok {
		return nil, unsupported("the %s image cannot be decoded", f.name())
	}
	src := &readerAt{r: r}
	img, err := decode(sequential(src, 0, size))
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
