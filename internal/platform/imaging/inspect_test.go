package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

func inspect(t *testing.T, in *Inspector, f Format, b []byte) (Meta, error) {
	t.Helper()
	return in.Inspect(context.Background(), f, bytes.NewReader(b), int64(len(b)))
}

func TestInspectDimensions(t *testing.T) {
	in := NewInspector(testBudget, 100_000_000)
	tests := []struct {
		name string
		f    Format
		data []byte
		w, h int
	}{
		{"JPEG", JPEG, mustJPEG(t, testImage(320, 200)), 320, 200},
		{"JPEG with Exif, XMP and IPTC", JPEG, mustFixture(t, "photo_gps.jpg"), 64, 48},
		{"PNG", PNG, mustPNG(t, testImage(33, 17)), 33, 17},
		{"WebP lossy", WebP, mustFixture(t, "photo.webp"), 64, 48},
		{"WebP lossless", WebP, mustFixture(t, "photo_lossless.webp"), 64, 48},
		{"WebP extended with EXIF and XMP", WebP, mustFixture(t, "photo_gps.webp"), 64, 48},
		{"HEIC (grid primary item, idat)", HEIC, mustFixture(t, "photo.heic"), 64, 48},
		{"HEIC (hvc1 primary item)", HEIC, mustFixture(t, "photo_square.heic"), 64, 64},
		{"HEIC with Exif and XMP", HEIC, mustFixture(t, "photo_gps.heic"), 64, 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inspect(t, in, tt.f, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if want := (Meta{Format: tt.f, Width: tt.w, Height: tt.h}); got != want {
				t.Fatalf("Inspect = %+v, want %+v", got, want)
			}
		})
	}
}

func TestInspectRefusesBrokenFiles(t *testing.T) {
	in := NewInspector(testBudget, 100_000_000)

	jpg := mustJPEG(t, testImage(320, 240))
	pngData := mustPNG(t, testImage(64, 64))
	flipped := bytes.Clone(pngData)
	idat := bytes.Index(flipped, []byte("IDAT"))
	flipped[idat+4+10] ^= 0x01 // a byte of the compressed data; the CRC no longer matches

	heic := mustFixture(t, "photo.heic")
	// Cut the last 40 bytes and shrink the mdat box to match: the boxes are
	// consistent again, but the picture's iloc extent now ends past the file.
	mdat := bytes.LastIndex(heic, []byte("mdat")) - 4
	short := bytes.Clone(heic[:len(heic)-40])
	binary.BigEndian.PutUint32(short[mdat:], uint32(len(short)-mdat))

	tests := []struct {
		name string
		f    Format
		data []byte
		msg  string
	}{
		{"JPEG cut at 60%", JPEG, jpg[:len(jpg)*6/10], "not a valid JPEG image"},
		{"PNG with a flipped IDAT byte", PNG, flipped, "not a valid PNG image"},
		{"PNG bytes inspected as JPEG", JPEG, pngData, "not a valid JPEG image"},
		{"garbage as WebP", WebP, []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00garbage"), "not a valid WebP image"},
		{"HEIC cut short", HEIC, heic[:len(heic)-40], "not a valid HEIC image"},
		{"HEIC extent outside the file", HEIC, short, "outside the file"},
		{"AVIF inspected as HEIC", HEIC, mustFixture(t, "photo.avif"), "HEIC"},
		{"empty", PNG, nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspect(t, in, tt.f, tt.data)
			wantUnsupported(t, err, tt.msg)
		})
	}
}

func TestInspectRefusesTooManyPixelsWithoutDecoding(t *testing.T) {
	// A PNG header claiming 100000×100000 RGBA pixels (40 GB decoded),
	// followed by a token IDAT and IEND.
	ihdr := binary.BigEndian.AppendUint32(nil, 100_000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100_000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	bomb := append(bytes.Clone(pngSignature), pngChunk("IHDR", ihdr)...)
	bomb = append(bomb, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	bomb = append(bomb, pngChunk("IEND", nil)...)

	in := NewInspector(testBudget, 100_000_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := inspect(t, in, PNG, bomb)
	runtime.ReadMemStats(&after)
	wantUnsupported(t, err, "100000×100000", "more than the 100000000 pixels")
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Fatalf("refusing the bomb allocated %d bytes", allocated)
	}

	// The same limit holds for a HEIC's declared size.
	_, err = inspect(t, NewInspector(testBudget, 64*48-1), HEIC, mustFixture(t, "photo.heic"))
	wantUnsupported(t, err, "64×48")
}

func TestInspectMemoryBudget(t *testing.T) {
	small := mustPNG(t, testImage(16, 16))
	large := mustPNG(t, testImage(400, 300))
	cost := func(data []byte) int64 {
		cfg, err := NewInspector(testBudget, 100_000_000).config(PNG, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		return decodeCost(PNG, bytes.NewReader(data), int64(len(data)), cfg.Width, cfg.Height)
	}
	smallCost, largeCost := cost(small), cost(large)
	if largeCost <= 2*smallCost {
		t.Fatalf("the large image's estimate (%d) should exceed two small ones (%d)", largeCost, 2*smallCost)
	}
	run := func(in *Inspector, ctx context.Context, data []byte) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := in.Inspect(ctx, PNG, bytes.NewReader(data), int64(len(data)))
			done <- err
		}()
		return done
	}
	// hooks makes every call report the bytes it holds on holding and wait
	// for release before decoding, and report on waiting when it waits.
	hooks := func(in *Inspector) (holding chan int64, release, waiting chan struct{}) {
		holding, release, waiting = make(chan int64, 3), make(chan struct{}), make(chan struct{}, 3)
		in.holding = func(n int64) { holding <- n; <-release }
		in.waiting = func() { waiting <- struct{}{} }
		return holding, release, waiting
	}
	notYet := func(t *testing.T, holding chan int64, done chan error) {
		t.Helper()
		select {
		case n := <-holding:
			t.Fatalf("a waiting call got %d bytes of the budget", n)
		case err := <-done:
			t.Fatalf("a waiting call returned: %v", err)
		default:
		}
	}

	t.Run("with a budget that fits one image, a second call waits until the first one is done", func(t *testing.T) {
		in := NewInspector(smallCost*3/2, 100_000_000)
		holding, release, waiting := hooks(in)

		first := run(in, context.Background(), small)
		if n := <-holding; n != smallCost {
			t.Fatalf("the first call holds %d bytes, want its estimate %d", n, smallCost)
		}
		second := run(in, context.Background(), small)
		<-waiting // the second one found too little left
		notYet(t, holding, second)
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		<-holding // the second call gets its share only now
		if err := <-second; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("with a budget that fits two images, two calls run at once", func(t *testing.T) {
		in := NewInspector(2*smallCost, 100_000_000)
		holding, release := make(chan int64, 2), make(chan struct{})
		in.holding = func(n int64) { holding <- n; <-release }
		in.waiting = func() { t.Error("a call waited although the budget had room") }

		first, second := run(in, context.Background(), small), run(in, context.Background(), small)
		<-holding
		<-holding // both hold their share at the same time
		close(release)
		for _, done := range []chan error{first, second} {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("an image over the budget takes the whole budget and runs alone", func(t *testing.T) {
		budget := 2 * smallCost // fits two small images, not the large one
		in := NewInspector(budget, 100_000_000)
		holding, release, waiting := hooks(in)

		big := run(in, context.Background(), large)
		if n := <-holding; n != budget {
			t.Fatalf("the large image holds %d bytes, want the whole budget %d", n, budget)
		}
		second := run(in, context.Background(), small)
		<-waiting
		notYet(t, holding, second)
		close(release)
		if err := <-big; err != nil {
			t.Fatalf("the image over the budget was refused: %v", err)
		}
		<-holding
		if err := <-second; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("an image over the budget waits until the budget is free", func(t *testing.T) {
		in := NewInspector(2*smallCost, 100_000_000)
		holding, release, waiting := hooks(in)

		first := run(in, context.Background(), small)
		<-holding
		big := run(in, context.Background(), large)
		<-waiting // half the budget is free, the large image needs all of it
		notYet(t, holding, big)
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		<-holding
		if err := <-big; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a waiting call gives up when its context ends", func(t *testing.T) {
		in := NewInspector(smallCost, 100_000_000)
		holding, release, waiting := hooks(in)

		first := run(in, context.Background(), small)
		<-holding
		ctx, cancel := context.WithCancel(context.Background())
		second := run(in, ctx, small)
		<-waiting
		cancel()
		if err := <-second; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if len(holding) != 0 {
			t.Fatal("the cancelled call decoded")
		}
		// The cancelled call left the budget whole: an image of the whole
		// budget gets it at once.
		in.holding, in.waiting = nil, func() { t.Error("the budget was not whole again") }
		if err := <-run(in, context.Background(), small); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("an ended context is refused before decoding", func(t *testing.T) {
		in := NewInspector(testBudget, 100_000_000)
		in.holding = func(int64) { t.Error("decoded with an ended context") }
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := <-run(in, ctx, small); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("a thumbnail holds the decode's estimate and the resize buffers", func(t *testing.T) {
		in := NewInspector(testBudget, 100_000_000)
		var held int64
		in.holding = func(n int64) { held = n }
		if err := in.Thumbnail(context.Background(), PNG, bytes.NewReader(large), int64(len(large)), 64, io.Discard); err != nil {
			t.Fatal(err)
		}
		if want := largeCost + thumbnailCost(400, 300, 64); held != want {
			t.Fatalf("the thumbnail held %d bytes, want %d", held, want)
		}
	})
}

// failingReader fails every read, as a storage backend that went away.
type failingReader struct{}

var errStorage = errors.New("storage is down")

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errStorage }

func TestInspectReportsReaderFailuresAsThemselves(t *testing.T) {
	in := NewInspector(testBudget, 100_000_000)
	for _, f := range []Format{JPEG, PNG, WebP, HEIC} {
		_, err := in.Inspect(context.Background(), f, failingReader{}, 1000)
		if !errors.Is(err, errStorage) {
			t.Errorf("%s: err = %v, want the reader's error", f, err)
		}
	}
}

// An image that would need more than maxOverBudget budgets is refused before
// decoding, with a clear 415; one that needs less decodes alone.
func TestInspectRefusesImagesFarOverTheBudget(t *testing.T) {
	in := NewInspector(1<<20, 100_000_000)    // 1 MiB budget: at most 8 MiB per image
	small := mustPNG(t, testImage(1000, 500)) // ~2 MiB decoded: over the budget, runs alone
	if m, err := inspect(t, in, PNG, small); err != nil || m.Width != 1000 {
		t.Fatalf("an image of about two budgets: %v %+v", err, m)
	}
	big := mustPNG(t, testImage(3000, 3000)) // ~36 MiB decoded
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := inspect(t, in, PNG, big)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.UnsupportedMedia || !bytes.Contains([]byte(e.Message), []byte("MiB of memory")) {
		t.Fatalf("an image of ~36 budgets: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("refusing it allocated %d bytes: it was decoded", grew)
	}
}
