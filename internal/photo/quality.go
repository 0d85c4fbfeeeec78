package photo

import "encoding/binary"

// stdLuminance is the luminance quantisation table of the JPEG standard
// (Annex K), which libjpeg and most phone encoders scale for a quality.
var stdLuminance = [64]int{
	16, 11, 10, 16, 24, 40, 51, 61,
	12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56,
	14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77,
	24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101,
	72, 92, 95, 98, 112, 100, 103, 99,
}

// EstimateQuality reads the luminance quantisation table of a JPEG and
// returns the libjpeg quality (1–100) that would make a table of the same
// total, or 0 when raw has no such table. Encoders that use tables of their
// own get a near figure, which is all it is used for: not re-encoding a photo
// at a higher quality than it was saved with.
func EstimateQuality(raw []byte) int {
	sum := luminanceSum(raw)
	if sum <= 0 {
		return 0
	}
	std := 0
	for _, v := range stdLuminance {
		std += v
	}
	// libjpeg: table = std × scale / 100, with scale = 5000/q below 50 and
	// 200 − 2q from 50 up.
	scale := float64(sum) * 100 / float64(std)
	var q float64
	if scale <= 100 {
		q = (200 - scale) / 2
	} else {
		q = 5000 / scale
	}
	return min(100, max(1, int(q+0.5)))
}

// luminanceSum walks the segments before the first scan and adds up the
// values of quantisation table 0; -1 when there is none or raw is not a
// well-formed JPEG up to there.
func luminanceSum(raw []byte) int {
	if len(raw) < 4 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return -1
	}
	for i := 2; i+4 <= len(raw); {
		if raw[i] != 0xFF {
			return -1
		}
		marker := raw[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return -1
		}
		n := int(binary.BigEndian.Uint16(raw[i+2:]))
		if n < 2 || i+2+n > len(raw) {
			return -1
		}
		if marker == 0xDB {
			seg := raw[i+4 : i+2+n]
			for len(seg) > 0 {
				precision, id := seg[0]>>4, seg[0]&0x0F
				size := 64
				if precision == 1 {
					size = 128
				}
				if len(seg) < 1+size {
					return -1
				}
				if id == 0 {
					sum := 0
					for k := 0; k < 64; k++ {
						if precision == 1 {
							sum += int(binary.BigEndian.Uint16(seg[1+2*k:]))
						} else {
							sum += int(seg[1+k])
						}
					}
					return sum
				}
				seg = seg[1+size:]
			}
		}
		i += 2 + n
	}
	return -1
}
