package imaging

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"

	"github.com/disintegration/imaging"
)

// ErrNoThumbnail is returned by Thumbnail for HEIC images, which cannot be
// decoded in pure Go; callers show a placeholder instead.
var ErrNoThumbnail = errors.New("imaging: no thumbnail for HEIC images")

// thumbnailQuality is the JPEG quality of thumbnails.
const thumbnailQuality = 80

// Thumbnail decodes the image of format f and the given size read through r
// (waiting for its share of the memory budget like Inspect, the decode's
// estimate plus the resize buffers) and writes to w a JPEG whose longer
// side is at most maxSide pixels, keeping the aspect ratio; smaller images are
// not enlarged. Transparent areas become white. A JPEG's EXIF orientation is
// applied to the pixels, so the thumbnail (which has no EXIF) shows upright,
// as does the Strip output, which keeps the orientation; WebP and PNG
// orientation is not (see the package comment). HEIC gives ErrNoThumbnail; an
// invalid image is errs.UnsupportedMedia.
func (in *Inspector) Thumbnail(ctx context.Context, f Format, r io.ReaderAt, size int64, maxSide int, w io.Writer) error {
	switch {
	case maxSide < 1:
		return fmt.Errorf("imaging: thumbnail side %d is not positive", maxSide)
	case f == HEIC:
		return ErrNoThumbnail
	case !f.known():
		return unsupported("the file is not a JPEG, PNG, WebP or HEIC image")
	case size <= 0:
		return unsupported("the file is empty")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg, err := in.config(f, r, size)
	if err != nil {
		return err
	}
	cost := decodeCost(f, r, size, cfg.Width, cfg.Height) + thumbnailCost(cfg.Width, cfg.Height, maxSide)
	release, err := in.acquire(ctx, cost)
	if err != nil {
		return err
	}
	defer release()
	// The decoded image and the resize buffers are garbage when release runs.
	return in.thumbnail(f, r, size, cfg, maxSide, w)
}

// thumbnail decodes, resizes and encodes; the caller holds its share of the
// budget.
func (in *Inspector) thumbnail(f Format, r io.ReaderAt, size int64, cfg image.Config, maxSide int, w io.Writer) error {
	img, err := in.decode(f, r, size, cfg)
	if err != nil {
		return err
	}
	orientation := 1
	if f == JPEG {
		src := &readerAt{r: r}
		orientation = jpegOrientation(src, size)
		if src.err != nil {
			return fmt.Errorf("imaging: reading the JPEG image: %w", src.err)
		}
	}
	// Fit is symmetric in width and height, so orienting the small result
	// gives the same size as orienting first, for less work.
	thumb := orient(imaging.Fit(img, maxSide, maxSide, imaging.Lanczos), orientation)
	if !thumb.Opaque() {
		flat := imaging.New(thumb.Rect.Dx(), thumb.Rect.Dy(), color.White)
		draw.Draw(flat, flat.Rect, thumb, image.Point{}, draw.Over)
		thumb = flat
	}
	if err := imaging.Encode(w, thumb, imaging.JPEG, imaging.JPEGQuality(thumbnailQuality)); err != nil {
		return fmt.Errorf("imaging: writing the thumbnail: %w", err)
	}
	return nil
}
