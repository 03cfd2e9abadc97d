package imaging

import (
	"bufio"
	"io"
)

// This file holds the readers through which every function of the package
// reads an image. The images come as an io.ReaderAt, and on the S3 blob
// backend every ReadAt is an HTTP range request of 10–30 ms, so nothing reads
// a few bytes at a time: a pass over the whole file (a decode, Strip's copy)
// reads it readChunk bytes a call, and a scan of a header (DecodeConfig,
// decodeCost, the EXIF orientation, the WebP and HEIC container walks) reads
// headerChunk bytes a call, which nearly every header fits in. A pass over an
// N-byte file thus costs about N/readChunk calls, a header scan one or two.
// The buffers count in the decode estimates (readBuffers in cost.go).

const (
	readChunk   = 1 << 20
	headerChunk = 256 << 10
)

// bufferSize is the buffer a reader of n bytes that reads chunk bytes a time
// needs: no more than n (bufio's minimum is 16).
func bufferSize(n int64, chunk int) int64 {
	return max(min(n, int64(chunk)), 16)
}

// sequential reads the n bytes of r from off on, one ReadAt of readChunk
// bytes at a time; a Read of more than readChunk bytes goes to r in one
// ReadAt. Its buffer is bufferSize(n, readChunk) bytes.
func sequential(r io.ReaderAt, off, n int64) *bufio.Reader {
	return bufio.NewReaderSize(io.NewSectionReader(r, off, n), int(bufferSize(n, readChunk)))
}

// header reads the size bytes of r from its start, for a scan of the file's
// header: one ReadAt of headerChunk bytes at a time, and as many as the scan
// needs (a header longer than headerChunk, rare, costs more calls but stays a
// sequential read). Its buffer is bufferSize(size, headerChunk) bytes.
func header(r io.ReaderAt, size int64) *bufio.Reader {
	return bufio.NewReaderSize(io.NewSectionReader(r, 0, size), int(bufferSize(size, headerChunk)))
}

// copyN writes the next n bytes of br to w straight from br's buffer, so that
// br reads its source in whole buffers and nothing else is allocated. Fewer
// than n bytes left is io.ErrUnexpectedEOF.
func copyN(w io.Writer, br *bufio.Reader, n int64) error {
	for n > 0 {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		b, _ := br.Peek(int(min(int64(br.Buffered()), n)))
		if _, err := w.Write(b); err != nil {
			return err
		}
		_, _ = br.Discard(len(b)) // buffered: cannot fail
		n -= int64(len(b))
	}
	return nil
}

// discard skips the next n bytes of br (reading them: they are usually few,
// and a gap in a sequential read would cost a request of its own). Fewer than
// n bytes left is io.ErrUnexpectedEOF.
func discard(br *bufio.Reader, n int64) error {
	for n > 0 {
		k := int(min(n, 1<<30))
		d, err := br.Discard(k)
		n -= int64(d)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// window serves small reads at scattered offsets of the first size bytes of
// r (the chunk headers of a PNG or WebP, the boxes of an HEIC container) from
// one buffer, which a single ReadAt of headerChunk bytes (or of what is asked
// for, if more) refills from the offset asked for when it does not hold the
// bytes asked for. Chunks that lie next to each other are read once.
type window struct {
	r    io.ReaderAt
	size int64
	off  int64  // the file offset of buf[0]
	buf  []byte // the bytes of the file from off on
}

func newWindow(r io.ReaderAt, size int64) *window { return &window{r: r, size: size} }

// at returns the n bytes at off, or those of them that lie in the file when
// it ends first (none when off is past its end), or the reader's failure;
// fewer bytes than that because the reader ran out is io.ErrUnexpectedEOF.
// The slice is valid until the next call.
func (w *window) at(off int64, n int) ([]byte, error) {
	end := min(off+int64(n), w.size)
	if off < 0 || off >= end {
		return nil, nil
	}
	if off >= w.off && end <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off : end-w.off], nil
	}
	want := max(end-off, bufferSize(w.size-off, headerChunk))
	want = min(want, w.size-off)
	if int64(cap(w.buf)) < want {
		w.buf = make([]byte, want)
	}
	got, err := w.r.ReadAt(w.buf[:want], off)
	w.off, w.buf = off, w.buf[:got]
	if int64(got) < end-off {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return w.buf[:end-off], nil
}
