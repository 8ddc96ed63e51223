package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	"github.com/haechi-tns/haechi/engine"
)

// Image sizes, in pixels.
const (
	minSide   = 64
	maxWidth  = 640
	maxHeight = 480
)

// blobBase is where URI-only demo images claim to be stored. The .invalid
// domain never resolves, so the engine cannot fetch them and holds them.
const blobBase = "https://blobs.example.invalid/uploads/"

// image returns an upload: mostly a small abstract drawing inline, one in
// ten a URI the engine cannot fetch. A caption comes with about half, and
// a few captions advertise a scam or spam.
func (g *Generator) image() (*engine.Event, category) {
	from := g.pickUser()
	space := g.pickSpace(from)
	lang := g.pickLang(from)
	cat := catBenign
	up := &engine.ImageUpload{}
	if g.rng.IntN(100) < 55 {
		switch r := g.rng.IntN(100); {
		case r < 6:
			cat = catScam
		case r < 12:
			cat = catSpam
		}
		if cat == catBenign {
			up.Caption = g.fill(g.any(captions.in(lang)), lang, true)
		} else {
			up.Caption = g.text(cat, space.Type, lang, true)
		}
	}
	ev := g.event(engine.KindImage, space, from, lang)
	if g.rng.IntN(10) == 0 {
		up.ContentType, up.URI = "image/jpeg", blobBase+ev.ID+".jpg"
	} else {
		up.Data, up.ContentType = g.picture()
		sum := sha256.Sum256(up.Data)
		up.SHA256 = hex.EncodeToString(sum[:])
	}
	ev.Image = up
	return ev, cat
}

// picture draws an abstract picture, between 64×64 and 640×480, and encodes
// it as PNG or JPEG.
func (g *Generator) picture() ([]byte, string) {
	w, h := minSide+g.rng.IntN(maxWidth-minSide+1), minSide+g.rng.IntN(maxHeight-minSide+1)
	var img *image.RGBA
	switch g.rng.IntN(4) {
	case 0:
		img = image.NewRGBA(image.Rect(0, 0, w, h))
		g.gradient(img)
	case 1:
		img = image.NewRGBA(image.Rect(0, 0, w, h))
		g.shapes(img)
	case 2:
		img = image.NewRGBA(image.Rect(0, 0, w, h))
		g.poster(img)
	default:
		s := min(w, h)
		img = image.NewRGBA(image.Rect(0, 0, s, s))
		g.portrait(img)
	}
	var buf bytes.Buffer
	if g.rng.IntN(100) < 60 {
		// Encoding an in-memory RGBA image into a bytes.Buffer cannot
		// fail; an error here is a bug in this package.
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&buf, img); err != nil {
			panic("demo: png: " + err.Error())
		}
		return buf.Bytes(), "image/png"
	}
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70 + g.rng.IntN(23)}); err != nil {
		panic("demo: jpeg: " + err.Error())
	}
	return buf.Bytes(), "image/jpeg"
}

func (g *Generator) colour() color.RGBA {
	return color.RGBA{uint8(g.rng.IntN(256)), uint8(g.rng.IntN(256)), uint8(g.rng.IntN(256)), 255}
}

func (g *Generator) pastel() color.RGBA {
	return color.RGBA{uint8(140 + g.rng.IntN(116)), uint8(140 + g.rng.IntN(116)), uint8(140 + g.rng.IntN(116)), 255}
}

func (g *Generator) dark() color.RGBA {
	return color.RGBA{uint8(g.rng.IntN(90)), uint8(g.rng.IntN(90)), uint8(g.rng.IntN(90)), 255}
}

// gradient fills img with a linear gradient between two colours, across,
// down or diagonally, and scatters a few soft circles over it.
func (g *Generator) gradient(img *image.RGBA) {
	fillGradient(img, g.colour(), g.colour(), g.rng.IntN(2), g.rng.IntN(2))
	b := img.Bounds()
	for range g.rng.IntN(4) {
		r := 4 + g.rng.IntN(max(1, b.Dy()/4))
		fillEllipse(img, g.rng.IntN(b.Dx()), g.rng.IntN(b.Dy()), r, r, g.pastel())
	}
}

// shapes scatters rectangles and ellipses over a plain background.
func (g *Generator) shapes(img *image.RGBA) {
	b := img.Bounds()
	fillRect(img, b, g.colour())
	for range 3 + g.rng.IntN(10) {
		x, y := g.rng.IntN(b.Dx()), g.rng.IntN(b.Dy())
		rw, rh := 4+g.rng.IntN(max(1, b.Dx()/3)), 4+g.rng.IntN(max(1, b.Dy()/3))
		if g.rng.IntN(2) == 0 {
			fillRect(img, image.Rect(x-rw, y-rh, x+rw, y+rh), g.colour())
		} else {
			fillEllipse(img, x, y, rw, rh, g.colour())
		}
	}
}

// poster draws a frame, title bars, a central emblem and lines of "text".
func (g *Generator) poster(img *image.RGBA) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	bg, ink := g.pastel(), g.dark()
	fillRect(img, b, ink)
	pad := max(2, min(w, h)/20)
	fillRect(img, b.Inset(pad), bg)
	// Title.
	fillRect(img, image.Rect(w/8, h/10, w/8+w*(5+g.rng.IntN(3))/10, h/10+max(3, h/12)), ink)
	if g.rng.IntN(2) == 0 {
		fillRect(img, image.Rect(w/8, h/10+h/9, w/8+w*(3+g.rng.IntN(3))/10, h/10+h/9+max(2, h/20)), g.colour())
	}
	// Emblem.
	r := min(w, h) / 6
	fillEllipse(img, w/2, h/2, r, r, g.colour())
	fillEllipse(img, w/2, h/2, r/2, r/2, bg)
	// Body text.
	lineH := max(2, h/40)
	for i := range 2 + g.rng.IntN(4) {
		y := h*2/3 + i*lineH*2
		if y+lineH >= h-pad {
			break
		}
		fillRect(img, image.Rect(w/8, y, w/8+w*(4+g.rng.IntN(5))/10, y+lineH), ink)
	}
}

// portrait draws a cartoon head and shoulders, like an avatar picture.
func (g *Generator) portrait(img *image.RGBA) {
	s := img.Bounds().Dx()
	fillGradient(img, g.pastel(), g.pastel(), 0, 1)
	faces := []color.RGBA{
		{241, 194, 125, 255}, {224, 172, 105, 255}, {198, 134, 66, 255}, {141, 85, 36, 255},
		{255, 219, 172, 255}, {160, 210, 235, 255}, {190, 230, 160, 255},
	}
	face := faces[g.rng.IntN(len(faces))]
	ink := g.dark()
	// Shoulders in a shirt, then hair behind the face.
	fillEllipse(img, s/2, s+s/20, s*2/5, s/3, g.colour())
	fillEllipse(img, s/2, s*2/5-s/20, s/4, s/4, g.dark())
	fillEllipse(img, s/2, s*2/5+s/40, s/5, s/4, face)
	// Eyes and a smile: a dark ellipse with the face colour over its top.
	eyeR := max(1, s/40)
	fillEllipse(img, s/2-s/14, s*2/5, eyeR, eyeR, ink)
	fillEllipse(img, s/2+s/14, s*2/5, eyeR, eyeR, ink)
	fillEllipse(img, s/2, s/2+s/40, s/12, s/24, ink)
	fillEllipse(img, s/2, s/2+s/40-max(1, s/60), s/12, s/24, face)
}

// fillRect fills r, clipped to img, with c.
func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r.Intersect(img.Bounds()), &image.Uniform{C: c}, image.Point{}, draw.Src)
}

// fillEllipse fills the ellipse centred on (cx, cy) with radii rx and ry.
func fillEllipse(img *image.RGBA, cx, cy, rx, ry int, c color.RGBA) {
	if rx <= 0 || ry <= 0 {
		return
	}
	r := image.Rect(cx-rx, cy-ry, cx+rx+1, cy+ry+1).Intersect(img.Bounds())
	fx, fy := float64(rx), float64(ry)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dy := float64(y-cy) / fy
		for x := r.Min.X; x < r.Max.X; x++ {
			dx := float64(x-cx) / fx
			if dx*dx+dy*dy <= 1 {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

// fillGradient fills img from c0 to c1 along x when ax is 1, along y when
// ay is 1, diagonally when both are, and across x when neither is.
func fillGradient(img *image.RGBA, c0, c1 color.RGBA, ax, ay int) {
	if ax == 0 && ay == 0 {
		ax = 1
	}
	b := img.Bounds()
	span := max(1, ax*(b.Dx()-1)+ay*(b.Dy()-1))
	lerp := func(a, b uint8, t, n int) uint8 { return uint8((int(a)*(n-t) + int(b)*t) / n) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			t := ax*x + ay*(y-b.Min.Y)
			p := row[x*4 : x*4+4 : x*4+4]
			p[0], p[1], p[2], p[3] = lerp(c0.R, c1.R, t, span), lerp(c0.G, c1.G, t, span), lerp(c0.B, c1.B, t, span), 255
		}
	}
}
