package photo

import (
	"encoding/binary"
	"image"

	"github.com/disintegration/imaging"
)

// Orientation returns the EXIF orientation (1–8) of a JPEG: how its stored
// pixels must be turned to be seen as taken. It is 1 (as stored) when raw
// carries no Exif segment, no orientation tag, or one that cannot be read.
// It looks at the APP1 segments before the first scan only.
func Orientation(raw []byte) int {
	if len(raw) < 4 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(raw); {
		if raw[i] != 0xFF {
			return 1
		}
		marker := raw[i+1]
		if marker == 0xFF {
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return 1
		}
		n := int(binary.BigEndian.Uint16(raw[i+2:]))
		if n < 2 || i+2+n > len(raw) {
			return 1
		}
		seg := raw[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF block; 0 when absent.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + int64(k)*12
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:]) != 3 { // SHORT
			return 0
		}
		if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// orient turns img as EXIF orientation o says. JPEGs decode to YCbCr (or
// Gray), whose planes are turned as they are: a quarter of the memory of an
// RGBA copy, and the JPEG encoder reads them without converting. Any other
// type goes through imaging's transforms.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	swap := o >= 5
	switch m := img.(type) {
	case *image.YCbCr:
		ratio, ok := m.SubsampleRatio, true
		if swap {
			switch ratio {
			case image.YCbCrSubsampleRatio422:
				ratio = image.YCbCrSubsampleRatio440
			case image.YCbCrSubsampleRatio440:
				ratio = image.YCbCrSubsampleRatio422
			case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
			default:
				ok = false
			}
		}
		if ok && m.Rect.Min == (image.Point{}) {
			w, h := m.Rect.Dx(), m.Rect.Dy()
			if swap {
				w, h = h, w
			}
			dst := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
			turnPlane(dst.Y, dst.YStride, w, h, m.Y, m.YStride, m.Rect.Dx(), m.Rect.Dy(), o)
			sw, sh := chromaSize(m.Rect.Dx(), m.Rect.Dy(), m.SubsampleRatio)
			dw, dh := chromaSize(w, h, ratio)
			if dw == sw && dh == sh || swap && dw == sh && dh == sw {
				turnPlane(dst.Cb, dst.CStride, dw, dh, m.Cb, m.CStride, sw, sh, o)
				turnPlane(dst.Cr, dst.CStride, dw, dh, m.Cr, m.CStride, sw, sh, o)
				return dst
			}
		}
	case *image.Gray:
		if m.Rect.Min == (image.Point{}) {
			w, h := m.Rect.Dx(), m.Rect.Dy()
			if swap {
				w, h = h, w
			}
			dst := image.NewGray(image.Rect(0, 0, w, h))
			turnPlane(dst.Pix, dst.Stride, w, h, m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), o)
			return dst
		}
	}
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img) // imaging turns counter-clockwise
	case 7:
		return imaging.Transverse(img)
	default:
		return imaging.Rotate90(img)
	}
}

func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// turnPlane fills the dw×dh plane dst from the sw×sh plane src as EXIF
// orientation o says (dw×dh is sh×sw for 5–8).
func turnPlane(dst []byte, dstride, dw, dh int, src []byte, sstride, sw, sh, o int) {
	for y := 0; y < dh; y++ {
		row := dst[y*dstride : y*dstride+dw]
		switch o {
		case 2: // mirrored
			s := src[y*sstride:]
			for x := range row {
				row[x] = s[sw-1-x]
			}
		case 3: // upside down
			s := src[(sh-1-y)*sstride:]
			for x := range row {
				row[x] = s[sw-1-x]
			}
		case 4: // mirrored upside down
			copy(row, src[(sh-1-y)*sstride:(sh-1-y)*sstride+sw])
		case 5: // transposed: dst(x, y) = src(y, x)
			for x := range row {
				row[x] = src[x*sstride+y]
			}
		case 6: // turned 90° clockwise: dst(x, y) = src(y, sh-1-x)
			for x := range row {
				row[x] = src[(sh-1-x)*sstride+y]
			}
		case 7: // transverse: dst(x, y) = src(sw-1-y, sh-1-x)
			for x := range row {
				row[x] = src[(sh-1-x)*sstride+sw-1-y]
			}
		case 8: // turned 90° counter-clockwise: dst(x, y) = src(sw-1-y, x)
			for x := range row {
				row[x] = src[x*sstride+sw-1-y]
			}
		}
	}
}
