// Package imaging checks and prepares the photo bytes that technicians and
// customers upload: it recognises the format from magic numbers (Sniff),
// compares it with what the client declared (Agrees), validates the whole file
// and learns its dimensions (Inspector.Inspect), removes metadata that could
// identify a place or a device (Strip) and renders JPEG thumbnails
// (Inspector.Thumbnail). It knows nothing of orders or evidence.
//
// Accepted formats are JPEG, PNG, WebP and HEIC. JPEG, PNG and WebP are decoded
// completely (standard library and golang.org/x/image/webp), so truncated or
// corrupt files are refused; the dimensions are checked against a pixel limit
// with DecodeConfig first, so a decompression bomb is never decoded. HEIC has
// no pure-Go HEVC decoder, so Inspect parses its ISO BMFF container strictly
// instead (ftyp, meta with an hdlr of 'pict', pitm, iinf, iloc, iprp/ipco/ipma
// with the primary item's ispe) and checks that every extent of the primary
// item lies inside the file; the coded picture itself is not verified, and
// Thumbnail returns ErrNoThumbnail for HEIC.
//
// Memory stays bounded: Strip streams JPEG and PNG segment by segment, WebP in
// two passes over an io.ReaderAt (the first reads only chunk headers to learn
// the output size) and HEIC by copying the file with the metadata payloads
// overwritten by zeros. Only the HEIC meta box (at most 4 MiB) is read whole.
// Decoding holds a full bitmap (and, for a progressive JPEG, every DCT
// coefficient), which is why Inspector refuses images of too many pixels and
// runs decodes within a memory budget: each one first takes from the budget
// what it is estimated to allocate, from its dimensions and the layout its
// header declares (see cost.go), and waits while the budget is taken.
//
// Reads are few and large, because on the S3 blob backend every ReadAt of the
// io.ReaderAt is an HTTP range request: a pass over the whole file (a decode,
// Strip's copy) reads 1 MiB a call, and a scan of a header (DecodeConfig, the
// decode estimate, the EXIF orientation, the WebP and HEIC container walks)
// 256 KiB a call, which nearly every header fits in (see io.go). Inspecting a
// 3 MiB JPEG takes five calls, stripping it three, its thumbnail six.
//
// Phone cameras store JPEG pixels as the sensor reads them and say how to turn
// them upright in the EXIF Orientation tag (1 to 8). For JPEG, the orientation
// that counts is the one in IFD0 of the first Exif APP1 segment before the
// first scan, read in either byte order with every offset bounds-checked; a
// malformed Exif segment means no orientation. Strip replaces that segment by
// a minimal one holding only the Orientation (none when it is 1 or absent),
// and Thumbnail applies it to the pixels (rotations and flips), so the
// stripped photo and its thumbnail show upright alike. A HEIC image turns
// upright by its container's irot and imir properties, which Strip keeps
// (readers ignore Exif orientation in HEIF). The orientation in a WebP EXIF
// chunk or a PNG eXIf chunk, rare in practice, is not applied: Strip drops the
// chunk and Thumbnail uses the pixels as encoded, so the two still agree.
//
// A file that is not an accepted image, does not match its declared type or
// name, does not decode, or has too many pixels is an *errs.Error of kind
// errs.UnsupportedMedia with a message safe for the client. A failure of the
// underlying reader or writer, or of the context, is returned as it is.
package imaging
