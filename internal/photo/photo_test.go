package photo_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"ecoreport/internal/photo"
)

// JPEGWithGPS returns a small JPEG whose APP1 Exif segment holds a GPS IFD
// (latitude 32°N) and a device serial, built by hand.
func JPEGWithGPS(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	// TIFF header, IFD0 with one entry: GPSInfo (0x8825) → GPS IFD with
	// GPSLatitudeRef "N". A serial string follows as a marker.
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II")
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8))
	binary.Write(&tiff, le, uint16(1))      // IFD0: 1 entry
	binary.Write(&tiff, le, uint16(0x8825)) // GPSInfo
	binary.Write(&tiff, le, uint16(4))      // LONG
	binary.Write(&tiff, le, uint32(1))
	binary.Write(&tiff, le, uint32(26)) // offset of GPS IFD
	binary.Write(&tiff, le, uint32(0))  // next IFD
	binary.Write(&tiff, le, uint16(1))  // GPS IFD: 1 entry
	binary.Write(&tiff, le, uint16(1))  // GPSLatitudeRef
	binary.Write(&tiff, le, uint16(2))  // ASCII
	binary.Write(&tiff, le, uint32(2))
	tiff.WriteString("N\x00\x00\x00")
	binary.Write(&tiff, le, uint32(0))
	tiff.WriteString("GPSSECRET-SERIAL-123456")
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	b := plain.Bytes()
	out := append([]byte{}, b[:2]...) // SOI
	out = append(out, seg...)
	out = append(out, b[2:]...)
	return out
}

func TestSanitize(t *testing.T) {
	gps := JPEGWithGPS(t)
	if !bytes.Contains(gps, []byte("Exif")) || !bytes.Contains(gps, []byte("GPSSECRET")) {
		t.Fatal("test JPEG lacks its Exif segment")
	}
	if _, err := jpeg.Decode(bytes.NewReader(gps)); err != nil {
		t.Fatalf("test JPEG does not decode: %v", err)
	}
	var pngBuf bytes.Buffer
	pimg := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	pimg.Set(1, 1, color.NRGBA{255, 0, 0, 128})
	png.Encode(&pngBuf, pimg)
	withText := append([]byte{}, pngBuf.Bytes()...)

	tests := []struct {
		name     string
		in       []byte
		max      int64
		wantErr  error
		wantMIME string
	}{
		{"OK/JPEGWithGPS", gps, 0, nil, "image/jpeg"},
		{"OK/PNG", withText, 0, nil, "image/png"},
		{"ErrTooLarge", gps, 100, photo.ErrTooLarge, ""},
		{"ErrUnsupported/HTML", []byte("<html><script>alert(1)</script></html>"), 0, photo.ErrUnsupported, ""},
		{"ErrUnsupported/GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 0, photo.ErrUnsupported, ""},
		{"ErrCorrupt/TruncatedJPEG", gps[:60], 0, photo.ErrCorrupt, ""},
		{"ErrUnsupported/Empty", nil, 0, photo.ErrUnsupported, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, ext, mime, err := photo.Sanitize(bytes.NewReader(tt.in), tt.max)
			if tt.wantErr != nil {
				if err != tt.wantErr {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mime != tt.wantMIME || !strings.HasPrefix(ext, ".") {
				t.Fatalf("mime %s ext %s", mime, ext)
			}
			for _, bad := range []string{"Exif", "GPSSECRET", "http://ns.adobe.com/xap"} {
				if bytes.Contains(data, []byte(bad)) {
					t.Fatalf("output still holds %q", bad)
				}
			}
			if bytes.Contains(data, []byte{0xFF, 0xE1}) && mime == "image/jpeg" {
				t.Fatal("output has an APP1 segment")
			}
		})
	}
}

func TestSanitizeRefusesPixelBomb(t *testing.T) {
	// A PNG header claiming 100000×100000 pixels.
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	raw := b.Bytes()
	binary.BigEndian.PutUint32(raw[16:], 100000)
	binary.BigEndian.PutUint32(raw[20:], 100000)
	if _, _, _, err := photo.Sanitize(bytes.NewReader(raw), 0); err != photo.ErrTooManyPx && err != photo.ErrCorrupt {
		t.Fatalf("err = %v", err)
	}
}
