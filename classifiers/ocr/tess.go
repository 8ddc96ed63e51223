package ocr

/*
#cgo pkg-config: tesseract
#cgo LDFLAGS: -lgomp
#include <stdbool.h>
#include <stdlib.h>
#include <tesseract/capi.h>

// OpenMP's global limit on nested active parallel regions; 0 makes every
// parallel region run on the calling thread alone (libgomp, GCC 11+).
extern void omp_set_max_active_levels(int);

// haechi_cancel is Tesseract's cancel callback: it reports whether the Go
// side set the flag (the request's context is done). The flag is C memory
// owned by the engine, written atomically from Go's watcher goroutine.
static bool haechi_cancel(void *flag, int words) {
	(void)words;
	return __atomic_load_n((int *)flag, __ATOMIC_RELAXED) != 0;
}

static void haechi_set_cancel(ETEXT_DESC *m, int *flag) {
	TessMonitorSetCancelFunc(m, (TessCancelFunc)haechi_cancel);
	TessMonitorSetCancelThis(m, flag);
}

static void haechi_set_flag(int *flag, int v) {
	__atomic_store_n(flag, v, __ATOMIC_RELAXED);
}

// haechi_word is one recognised word, read out of a result iterator in a
// single cgo call per word.
typedef struct {
	char *text;
	float conf;
	int x0, y0, x1, y1;
	int line_start;
} haechi_word;

static int haechi_next_word(TessResultIterator *it, haechi_word *w, int first) {
	if (!first && !TessResultIteratorNext(it, RIL_WORD)) {
		return 0;
	}
	const TessPageIterator *pi = TessResultIteratorGetPageIteratorConst(it);
	w->text = TessResultIteratorGetUTF8Text(it, RIL_WORD);
	w->conf = TessResultIteratorConfidence(it, RIL_WORD);
	w->line_start = TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE);
	if (!TessPageIteratorBoundingBox(pi, RIL_WORD, &w->x0, &w->y0, &w->x1, &w->y1)) {
		w->x0 = w->y0 = w->x1 = w->y1 = 0;
	}
	return 1;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// The binding is a few calls of Tesseract's C API (tesseract/capi.h)
// rather than gosseract: gosseract cannot pass raw pixels (it decodes an
// encoded file again), has no cancel or deadline (so a context could not
// stop a slow image), and its Init redirects the process's stderr, which
// races with every other goroutine's logging.

// singleThreaded makes OpenMP run Tesseract's parallel loops on the
// calling thread: the pool's parallelism is one engine per worker, and
// Tesseract's own threads (up to four per engine) would only compete for
// the same cores. It is process-wide and done once.
var singleThreaded = sync.OnceFunc(func() { C.omp_set_max_active_levels(0) })

// tess is one Tesseract engine. It is not safe for concurrent use: the
// pool hands it to one goroutine at a time.
type tess struct {
	api  *C.TessBaseAPI
	flag *C.int // cancel flag, C memory
}

// newTess starts an engine for langs ("kor+eng") with traineddata from
// dataPath ("" for Tesseract's default folder).
func newTess(dataPath, langs string, psm int, vars map[string]string) (*tess, error) {
	api := C.TessBaseAPICreate()
	if api == nil {
		return nil, errors.New("tesseract: cannot create an engine")
	}
	var cpath *C.char
	if dataPath != "" {
		cpath = C.CString(dataPath)
		defer C.free(unsafe.Pointer(cpath))
	}
	clangs := C.CString(langs)
	defer C.free(unsafe.Pointer(clangs))
	if C.TessBaseAPIInit2(api, cpath, clangs, C.OEM_LSTM_ONLY) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, fmt.Errorf("tesseract: cannot load languages %q (are tesseract-ocr-kor and tesseract-ocr-eng installed? scripts/setup.sh installs them)", langs)
	}
	t := &tess{api: api, flag: (*C.int)(C.calloc(1, C.sizeof_int))}
	// Tesseract writes diagnostics ("Estimating resolution…") through its
	// debug file; they say nothing the caller needs and would go to
	// stderr beside the structured log.
	all := map[string]string{
		"debug_file": "/dev/null",
		// Sauvola's local thresholds instead of one Otsu threshold for the
		// whole image: text over photos and coloured banners keeps its
		// strokes (mean character accuracy on the fixtures 0.93 → 0.95).
		"thresholding_method": "2",
	}
	for k, v := range vars {
		all[k] = v
	}
	for k, v := range all {
		if err := t.setVariable(k, v); err != nil {
			t.close()
			return nil, err
		}
	}
	C.TessBaseAPISetPageSegMode(api, C.TessPageSegMode(psm))
	return t, nil
}

func (t *tess) setVariable(name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	if C.TessBaseAPISetVariable(t.api, cn, cv) == 0 {
		return fmt.Errorf("tesseract: cannot set %s", name)
	}
	return nil
}

// close frees the engine; it must not be used afterwards.
func (t *tess) close() {
	if t.api != nil {
		C.TessBaseAPIEnd(t.api)
		C.TessBaseAPIDelete(t.api)
		t.api = nil
	}
	if t.flag != nil {
		C.free(unsafe.Pointer(t.flag))
		t.flag = nil
	}
}

// rawWord is a word as Tesseract returns it, in the coordinates of the
// image it was given.
type rawWord struct {
	text      string
	conf      float32
	box       image.Rectangle
	lineStart bool
}

// errCancelled is what recognise returns when Tesseract stopped because
// the context was done or the deadline passed.
var errCancelled = errors.New("tesseract: cancelled")

// recognise reads the words of a grey image. Tesseract stops between
// words when ctx is done or its deadline passes; layout analysis before
// the first word is not interruptible, which the pool's size limits bound.
func (t *tess) recognise(ctx context.Context, g *image.Gray) ([]rawWord, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w == 0 || h == 0 {
		return nil, nil
	}
	// The pixels are Go memory read by C only during this call.
	C.TessBaseAPISetImage(t.api, (*C.uchar)(unsafe.Pointer(&g.Pix[0])), C.int(w), C.int(h), 1, C.int(g.Stride))
	// The images are rendered and scaled for text about 30 px high; the
	// resolution only keeps Tesseract from guessing (and warning).
	C.TessBaseAPISetSourceResolution(t.api, 300)
	defer C.TessBaseAPIClear(t.api)

	mon := C.TessMonitorCreate()
	defer C.TessMonitorDelete(mon)
	C.haechi_set_flag(t.flag, 0)
	C.haechi_set_cancel(mon, t.flag)
	if dl, ok := ctx.Deadline(); ok {
		ms := time.Until(dl).Milliseconds()
		if ms <= 0 {
			return nil, ctx.Err()
		}
		C.TessMonitorSetDeadlineMSecs(mon, C.int(min(ms, 1<<30)))
	}
	stop := context.AfterFunc(ctx, func() { C.haechi_set_flag(t.flag, 1) })
	rc := C.TessBaseAPIRecognize(t.api, mon)
	stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rc != 0 {
		// Tesseract returns -1 both for a failure and for a deadline it
		// noticed itself.
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return nil, context.DeadlineExceeded
		}
		return nil, errCancelled
	}
	it := C.TessBaseAPIGetIterator(t.api)
	if it == nil {
		return nil, nil // no text found
	}
	defer C.TessResultIteratorDelete(it)
	var words []rawWord
	var cw C.haechi_word
	for first := C.int(1); C.haechi_next_word(it, &cw, first) != 0; first = 0 {
		if cw.text == nil {
			continue
		}
		s := strings.TrimSpace(C.GoString(cw.text))
		C.TessDeleteText(cw.text)
		if s == "" {
			continue
		}
		words = append(words, rawWord{
			text:      s,
			conf:      float32(cw.conf),
			box:       image.Rect(int(cw.x0), int(cw.y0), int(cw.x1), int(cw.y1)),
			lineStart: cw.line_start != 0,
		})
	}
	return words, nil
}

// tesseractVersion is the library's version string.
func tesseractVersion() string { return C.GoString(C.TessVersion()) }
