package imagedecode

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// errTurboUnsupported marks JPEGs libjpeg-turbo's planar path does not
// take (CMYK, unusual subsampling); the Go decoder handles them.
var errTurboUnsupported = errors.New("turbojpeg: unsupported layout")

// decodeJPEGTurbo decodes a JPEG with libjpeg-turbo into the planes of an
// *image.YCbCr (or an *image.Gray), the same layout image/jpeg returns, at
// about a third of the Go decoder's cost. Any warning stops decoding, so a
// truncated or damaged file is an error here rather than a grey image; the
// caller falls back to image/jpeg for those and for errTurboUnsupported,
// which then names the problem.
func decodeJPEGTurbo(data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, errTurboUnsupported
	}
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("turbojpeg: cannot initialise")
	}
	defer C.tjDestroy(h)
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	size := C.ulong(len(data))
	var w, ht, subsamp, colorspace C.int
	if C.tjDecompressHeader3(h, src, size, &w, &ht, &subsamp, &colorspace) != 0 {
		return nil, turboError(h)
	}
	rect := image.Rect(0, 0, int(w), int(ht))
	const flags = C.TJFLAG_STOPONWARNING
	if subsamp == C.TJSAMP_GRAY {
		img := image.NewGray(rect)
		if C.tjDecompress2(h, src, size, (*C.uchar)(unsafe.Pointer(&img.Pix[0])), w, C.int(img.Stride), ht, C.TJPF_GRAY, flags) != 0 {
			return nil, turboError(h)
		}
		return img, nil
	}
	if colorspace != C.TJCS_YCbCr {
		return nil, errTurboUnsupported
	}
	var ratio image.YCbCrSubsampleRatio
	switch subsamp {
	case C.TJSAMP_444:
		ratio = image.YCbCrSubsampleRatio444
	case C.TJSAMP_422:
		ratio = image.YCbCrSubsampleRatio422
	case C.TJSAMP_420:
		ratio = image.YCbCrSubsampleRatio420
	case C.TJSAMP_440:
		ratio = image.YCbCrSubsampleRatio440
	case C.TJSAMP_411:
		ratio = image.YCbCrSubsampleRatio411
	default:
		return nil, errTurboUnsupported
	}
	// libjpeg-turbo decodes into planes it is given as C memory, padded
	// generously beyond tjPlaneWidth/Height (it works in whole MCUs), and
	// the rows are copied into a Go image: no C code writes Go memory.
	yw, yh := C.tjPlaneWidth(0, w, subsamp), C.tjPlaneHeight(0, ht, subsamp)
	cw, ch := C.tjPlaneWidth(1, w, subsamp), C.tjPlaneHeight(1, ht, subsamp)
	if yw <= 0 || yh <= 0 || cw <= 0 || ch <= 0 {
		return nil, errTurboUnsupported
	}
	const pad = 32
	ystride, cstride := int(yw)+pad, int(cw)+pad
	ysize, csize := ystride*(int(yh)+pad), cstride*(int(ch)+pad)
	buf := C.malloc(C.size_t(ysize + 2*csize))
	if buf == nil {
		return nil, errors.New("turbojpeg: out of memory")
	}
	defer C.free(buf)
	all := unsafe.Slice((*byte)(buf), ysize+2*csize)
	planes := (*[3]*C.uchar)(C.malloc(C.size_t(3 * unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(planes))
	strides := (*[3]C.int)(C.malloc(C.size_t(3 * unsafe.Sizeof(C.int(0)))))
	defer C.free(unsafe.Pointer(strides))
	planes[0] = (*C.uchar)(buf)
	planes[1] = (*C.uchar)(unsafe.Add(buf, ysize))
	planes[2] = (*C.uchar)(unsafe.Add(buf, ysize+csize))
	strides[0], strides[1], strides[2] = C.int(ystride), C.int(cstride), C.int(cstride)
	if C.tjDecompressToYUVPlanes(h, src, size, &planes[0], w, &strides[0], ht, flags) != 0 {
		return nil, turboError(h)
	}
	img := image.NewYCbCr(rect, ratio)
	copyPlane(img.Y, img.YStride, all[:ysize], ystride, len(img.Y)/img.YStride)
	rows := len(img.Cb) / img.CStride
	copyPlane(img.Cb, img.CStride, all[ysize:ysize+csize], cstride, rows)
	copyPlane(img.Cr, img.CStride, all[ysize+csize:], cstride, rows)
	return img, nil
}

// copyPlane copies rows of width dstStride from src (stride srcStride).
func copyPlane(dst []byte, dstStride int, src []byte, srcStride, rows int) {
	for r := range rows {
		copy(dst[r*dstStride:(r+1)*dstStride], src[r*srcStride:])
	}
}

func turboError(h C.tjhandle) error {
	return errors.New("turbojpeg: " + C.GoString(C.tjGetErrorStr2(h)))
}
