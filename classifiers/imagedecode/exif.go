package imagedecode

import (
	"bytes"
	"encoding/binary"
)

// JPEG markers that matter to jpegMeta.
const (
	markerSOS  = 0xda
	markerEOI  = 0xd9
	markerAPP1 = 0xe1
)

// jpegMeta walks the marker segments of a JPEG and returns the EXIF
// orientation of the first APP1 "Exif" segment before the first scan (1 when there is none or it
// cannot be read) and the number of SOS markers (scans). It never reads out of
// range: a malformed stream ends the walk and keeps what was found so far,
// leaving it to the decoder to report the corruption.
func jpegMeta(data []byte) (orientation, scans int) {
	orientation = 1
	foundExif := false
	i := 2 // after SOI
	for i+1 < len(data) {
		if data[i] != 0xff {
			return orientation, scans
		}
		m := data[i+1]
		i += 2
		switch {
		case m == 0xff:
			// Fill byte: the marker code follows.
			i--
			continue
		case m == markerEOI:
			return orientation, scans
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7):
			// TEM and RSTn stand alone.
			continue
		}
		if i+2 > len(data) {
			return orientation, scans
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return orientation, scans
		}
		seg := data[i+2 : i+n]
		i += n
		if m == markerAPP1 && !foundExif && scans == 0 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			foundExif = true
			orientation = exifOrientation(seg[6:])
		}
		if m == markerSOS {
			scans++
			i = skipEntropyCoded(data, i)
		}
	}
	return orientation, scans
}

// skipEntropyCoded returns the index of the next marker after the
// entropy-coded data starting at i. Inside that data 0xff is always followed by
// a stuffed 0x00 or an RSTn marker, so the first other 0xff pair is a marker.
func skipEntropyCoded(data []byte, i int) int {
	for {
		j := bytes.IndexByte(data[i:], 0xff)
		if j < 0 || i+j+1 >= len(data) {
			return len(data)
		}
		i += j
		next := data[i+1]
		if next == 0x00 || (next >= 0xd0 && next <= 0xd7) || next == 0xff {
			i++
			continue
		}
		return i
	}
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF structure (the APP1
// payload after "Exif\0\0"). Offsets come from the file and are untrusted:
// every read is bounds-checked, and anything unexpected means 1 (upright).
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 1
	}
	// uint64 arithmetic: a hostile offset near 2^32 must not wrap.
	ifd := uint64(bo.Uint32(tiff[4:]))
	size := uint64(len(tiff))
	if ifd+2 > size {
		return 1
	}
	count := uint64(bo.Uint16(tiff[ifd:]))
	for k := range count {
		e := ifd + 2 + 12*k
		if e+12 > size {
			return 1
		}
		entry := tiff[e : e+12]
		if bo.Uint16(entry) != 0x0112 {
			continue
		}
		// The value (count 1) sits in the first bytes of the 4-byte value
		// field. SHORT is standard; LONG is tolerated from sloppy writers.
		if bo.Uint32(entry[4:]) != 1 {
			return 1
		}
		var v uint32
		switch bo.Uint16(entry[2:]) {
		case 3: // SHORT
			v = uint32(bo.Uint16(entry[8:]))
		case 4: // LONG
			v = bo.Uint32(entry[8:])
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}
