// Package photo checks and cleans uploaded photos (照片). The type is sniffed
// from the bytes, never taken from the name or the client's header; the image
// is decoded and encoded again, so EXIF (GPS, device serial), XMP, ICC and any
// other metadata or trailing data are gone. Before the metadata goes, the
// EXIF orientation is applied to the pixels, so a portrait phone photo is
// stored upright. Very large images are scaled down to MaxLongSide. JPEG stays
// JPEG, at a quality no higher than the original's (so a phone photo shrinks),
// PNG stays PNG (8 bits per channel), WebP becomes JPEG (or PNG when it has
// transparency).
//
// Decoding is the expensive part, in memory and in CPU, and a small file can
// claim a huge image (a decompression bomb). So every photo's header is read
// first (DecodeConfig) and its decoded size worked out from its dimensions
// and colour model: over MaxDecodedBytes or MaxPixels it is refused without
// decoding. A Batch bounds the pixels of one request. A Pool admits decodes
// by their decoded size into a fixed memory budget (which also keeps the
// number running at once small) and gives up after a deadline with ErrBusy.
package photo

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"time"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"

	"ecoreport/internal/apperr"
)

// Limits. A 12-megapixel phone photo decodes to about 36 MB and needs a
// working copy of 48 MB when it is turned upright; a 50-megapixel one fits
// too. A 16-bit RGBA image needs 8 bytes a pixel, so MaxDecodedBytes refuses
// one of 7,070 × 7,070 (400 MB) that MaxPixels alone would let through.
const (
	MaxBytes        = 10 << 20    // per photo as uploaded
	MaxPixels       = 50_000_000  // per photo, decoded
	MaxDecodedBytes = 200 << 20   // per photo, decoded, from the header's size and colour model
	MaxBatchPixels  = 160_000_000 // per request: six 24-megapixel photos, or three of 50
	MaxLongSide     = 4096        // larger photos are scaled down to this long side
	// Quality is the JPEG quality of a stored photo unless the original was
	// encoded lower; phones save at 90–97, which re-encoded as it is would
	// grow the file by half with no visible gain.
	Quality    = 82
	MinQuality = 60 // the floor when a second, smaller encoding is tried
)

// Errors, each EINVALID with a Chinese message naming the problem, but
// ErrBusy, which is EUNAVAILABLE: the server is busy, the photo is fine.
var (
	ErrTooLarge      = &apperr.Error{Code: apperr.EINVALID, Message: "照片过大（每张不超过10MB）"}
	ErrUnsupported   = &apperr.Error{Code: apperr.EINVALID, Message: "只能上传JPEG、PNG或WebP格式的照片"}
	ErrCorrupt       = &apperr.Error{Code: apperr.EINVALID, Message: "照片已损坏或无法识别"}
	ErrTooManyPx     = &apperr.Error{Code: apperr.EINVALID, Message: "照片尺寸过大，请缩小后再上传"}
	ErrBatchTooLarge = &apperr.Error{Code: apperr.EINVALID, Message: "照片的总尺寸过大，请减少照片或缩小后再上传"}
	ErrBusy          = &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "照片处理繁忙，请稍后再提交（已填写的内容不会丢失）", RetryAfter: 10 * time.Second}
)

// Info is what a photo's header says, read without decoding it.
type Info struct {
	MIME          string // sniffed: image/jpeg, image/png, image/webp
	Width, Height int
	Decoded       int64 // bytes the decoded image takes
	Cost          int64 // bytes decoding and cleaning it may take at the peak
}

// Pixels is the photo's width × height.
func (i Info) Pixels() int64 { return int64(i.Width) * int64(i.Height) }

// Clean is a sanitised photo ready to be stored.
type Clean struct {
	Data          []byte
	Ext, MIME     string // ".jpg" or ".png", and its MIME type
	Width, Height int    // after orientation and scaling
}

// Inspect sniffs raw's type and reads its header. It refuses what is not a
// JPEG, PNG or WebP (ErrUnsupported), an unreadable header (ErrCorrupt) and
// an image over MaxPixels or MaxDecodedBytes (ErrTooManyPx), all without
// decoding a pixel.
func Inspect(raw []byte) (Info, error) {
	kind := http.DetectContentType(raw)
	var config func(io.Reader) (image.Config, error)
	switch kind {
	case "image/jpeg":
		config = jpeg.DecodeConfig
	case "image/png":
		config = png.DecodeConfig
	case "image/webp":
		config = webp.DecodeConfig
	default:
		return Info{}, ErrUnsupported
	}
	cfg, err := config(bytes.NewReader(raw))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return Info{}, ErrCorrupt
	}
	in := Info{MIME: kind, Width: cfg.Width, Height: cfg.Height}
	px := in.Pixels()
	if px > MaxPixels {
		return Info{}, ErrTooManyPx
	}
	in.Decoded = px * bytesPerPixel(cfg.ColorModel)
	if in.Decoded > MaxDecodedBytes {
		return Info{}, ErrTooManyPx
	}
	// The working copy: turning or scaling makes an 8-bit RGBA image of at
	// most the original's pixels.
	in.Cost = in.Decoded + px*4
	return in, nil
}

// bytesPerPixel is what the standard decoders allocate per pixel for a
// colour model; unknown models count as the largest.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at worst; 4:2:0 takes 1.5
	case color.NYCbCrAModel:
		return 4
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// Batch bounds the pixels of the photos of one request (MaxBatchPixels when
// Max is 0): six photos at the pixel limit would keep a core busy for half a
// minute. Not safe for concurrent use; one request checks its photos in turn.
type Batch struct {
	Max  int64
	used int64
}

// Take counts a photo against the batch; ErrBatchTooLarge when it does not fit.
func (b *Batch) Take(in Info) error {
	max := b.Max
	if max <= 0 {
		max = MaxBatchPixels
	}
	if b.used+in.Pixels() > max {
		return ErrBatchTooLarge
	}
	b.used += in.Pixels()
	return nil
}

// Pool admits photo work into a memory budget shared by the whole process.
// Each photo holds its Cost for as long as it is decoded and encoded, and at
// least half the budget, so that at most two photos are worked at once (the
// machines have two cores) and one at the largest size runs alone. A photo
// that cannot start within Wait gets ErrBusy.
type Pool struct {
	budget int64
	sem    *semaphore.Weighted
	Wait   time.Duration
}

// DefaultBudget is the memory the default pool lets photo work use at once.
const DefaultBudget = 2 * MaxDecodedBytes

// NewPool returns a pool of budget bytes (DefaultBudget when <= 0) that waits
// at most wait (15 s when <= 0) for room.
func NewPool(budget int64, wait time.Duration) *Pool {
	if budget <= 0 {
		budget = DefaultBudget
	}
	if wait <= 0 {
		wait = 15 * time.Second
	}
	return &Pool{budget: budget, sem: semaphore.NewWeighted(budget), Wait: wait}
}

// Default is the process-wide pool Sanitize uses.
var Default = NewPool(0, 0)

// Sanitize cleans one photo read from r (at most max bytes; MaxBytes when
// max <= 0), counted against batch when batch is not nil. Errors: ErrTooLarge,
// ErrUnsupported, ErrCorrupt, ErrTooManyPx, ErrBatchTooLarge, ErrBusy.
func (p *Pool) Sanitize(ctx context.Context, r io.Reader, max int64, batch *Batch) (Clean, error) {
	if max <= 0 {
		max = MaxBytes
	}
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return Clean{}, errors.Join(ErrCorrupt, err)
	}
	if int64(len(raw)) > max {
		return Clean{}, ErrTooLarge
	}
	in, err := Inspect(raw)
	if err != nil {
		return Clean{}, err
	}
	if batch != nil {
		if err := batch.Take(in); err != nil {
			return Clean{}, err
		}
	}
	w := min(max64(in.Cost, p.budget/2), p.budget)
	wctx, cancel := context.WithTimeout(ctx, p.Wait)
	defer cancel()
	if err := p.sem.Acquire(wctx, w); err != nil {
		return Clean{}, ErrBusy
	}
	defer p.sem.Release(w)
	return clean(raw, in)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Sanitize cleans one photo of at most max bytes through the Default pool.
// It returns the clean bytes, the file extension (".jpg" or ".png") and the
// MIME type.
func Sanitize(r io.Reader, max int64) (data []byte, ext, mime string, err error) {
	c, err := Default.Sanitize(context.Background(), r, max, nil)
	if err != nil {
		return nil, "", "", err
	}
	return c.Data, c.Ext, c.MIME, nil
}

// clean decodes raw (already inspected), turns it upright as its EXIF
// orientation says (before the metadata is dropped with the rest of the
// file), scales it down when it is very large and encodes it again.
func clean(raw []byte, in Info) (Clean, error) {
	var img image.Image
	var err error
	switch in.MIME {
	case "image/jpeg":
		if img, err = jpeg.Decode(bytes.NewReader(raw)); err == nil {
			img = orient(img, Orientation(raw))
		}
	case "image/png":
		img, err = png.Decode(bytes.NewReader(raw))
	default:
		img, err = webp.Decode(bytes.NewReader(raw))
	}
	if err != nil {
		return Clean{}, ErrCorrupt
	}
	if b := img.Bounds(); max(b.Dx(), b.Dy()) > MaxLongSide {
		img = imaging.Fit(img, MaxLongSide, MaxLongSide, imaging.Linear)
	}
	b := img.Bounds()
	out := Clean{Width: b.Dx(), Height: b.Dy()}
	if in.MIME == "image/png" || (in.MIME == "image/webp" && !opaque(img)) {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		if err := enc.Encode(&buf, to8Bit(img)); err != nil {
			return Clean{}, errors.Join(ErrCorrupt, err)
		}
		out.Data, out.Ext, out.MIME = buf.Bytes(), ".png", "image/png"
		return out, nil
	}
	q := Quality
	if in.MIME == "image/jpeg" {
		if est := EstimateQuality(raw); est > 0 && est < q {
			q = max(est, MinQuality)
		}
	}
	img = fastJPEGSource(img)
	data, err := encodeJPEG(img, q)
	if err != nil {
		return Clean{}, err
	}
	// Never keep a re-encoding larger than what was sent: once more, lower.
	if len(data) > len(raw) && q > MinQuality {
		if smaller, err := encodeJPEG(img, max(MinQuality, q-15)); err == nil && len(smaller) < len(data) {
			data = smaller
		}
	}
	out.Data, out.Ext, out.MIME = data, ".jpg", "image/jpeg"
	return out, nil
}

func encodeJPEG(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, errors.Join(ErrCorrupt, err)
	}
	return buf.Bytes(), nil
}

// fastJPEGSource gives the JPEG encoder a type it has a fast path for: an
// opaque NRGBA image (what turning and scaling make) has the same bytes as
// an RGBA one, and the encoder reads *image.RGBA without a call per pixel.
func fastJPEGSource(img image.Image) image.Image {
	if n, ok := img.(*image.NRGBA); ok && n.Opaque() {
		return &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
	}
	return img
}

// to8Bit turns a 16-bit image into 8 bits per channel: a photo gains nothing
// from the extra depth, and the file halves.
func to8Bit(img image.Image) image.Image {
	switch img.(type) {
	case *image.RGBA64, *image.NRGBA64:
		return imaging.Clone(img)
	case *image.Gray16:
		b := img.Bounds()
		g := image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				g.Set(x, y, img.At(x, y))
			}
		}
		return g
	}
	return img
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
