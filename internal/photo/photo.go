// Package photo checks and cleans uploaded photos (照片). The type is sniffed
// from the bytes, never taken from the name or the client's header; the image
// is decoded and encoded again, so EXIF (GPS, device serial), XMP, ICC and any
// other metadata or trailing data are gone. JPEG stays JPEG (quality 90), PNG
// stays PNG, WebP becomes JPEG (or PNG when it has transparency).
package photo

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"golang.org/x/image/webp"

	"ecoreport/internal/apperr"
)

// Limits.
const (
	MaxBytes  = 10 << 20   // per photo as uploaded
	MaxPixels = 50_000_000 // decoded size, against decompression bombs
)

// Errors, each EINVALID with a Chinese message naming the problem.
var (
	ErrTooLarge    = &apperr.Error{Code: apperr.EINVALID, Message: "照片过大（每张不超过10MB）"}
	ErrUnsupported = &apperr.Error{Code: apperr.EINVALID, Message: "只能上传JPEG、PNG或WebP格式的照片"}
	ErrCorrupt     = &apperr.Error{Code: apperr.EINVALID, Message: "照片已损坏或无法识别"}
	ErrTooManyPx   = &apperr.Error{Code: apperr.EINVALID, Message: "照片尺寸过大，请缩小后再上传"}
)

// Sanitize reads one photo of at most max bytes (MaxBytes when max <= 0),
// sniffs its type, decodes it and re-encodes it without metadata. It returns
// the clean bytes, the file extension (".jpg" or ".png") and the MIME type.
func Sanitize(r io.Reader, max int64) (data []byte, ext, mime string, err error) {
	if max <= 0 {
		max = MaxBytes
	}
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, "", "", err
	}
	if int64(len(raw)) > max {
		return nil, "", "", ErrTooLarge
	}
	var decode func(io.Reader) (image.Image, error)
	var config func(io.Reader) (image.Config, error)
	kind := http.DetectContentType(raw)
	switch kind {
	case "image/jpeg":
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case "image/png":
		decode, config = png.Decode, png.DecodeConfig
	case "image/webp":
		decode, config = webp.Decode, webp.DecodeConfig
	default:
		return nil, "", "", ErrUnsupported
	}
	cfg, err := config(bytes.NewReader(raw))
	if err != nil {
		return nil, "", "", ErrCorrupt
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", "", ErrCorrupt
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, "", "", ErrTooManyPx
	}
	img, err := decode(bytes.NewReader(raw))
	if err != nil {
		return nil, "", "", ErrCorrupt
	}
	var out bytes.Buffer
	asPNG := kind == "image/png" || (kind == "image/webp" && !opaque(img))
	if asPNG {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&out, img); err != nil {
			return nil, "", "", errors.Join(ErrCorrupt, err)
		}
		return out.Bytes(), ".png", "image/png", nil
	}
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, "", "", errors.Join(ErrCorrupt, err)
	}
	return out.Bytes(), ".jpg", "image/jpeg", nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
