package report

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"strconv"
)

// This file holds the SVG drawing primitives of the graphs (graph.go) and
// the ladder (ladder.go): a byte buffer with coordinates rounded to a tenth of
// a pixel, so that files stay small and a run writes the same bytes every
// time, linear scales with round ticks, and the time axis, which can cut long
// idle periods out of a connection's graph.

// Picture is one drawing of a connection: a graph or the ladder, as an SVG
// element (with its namespace, without a style sheet: see SVGStyle and
// StandaloneSVG).
type Picture struct {
	// Name names the drawing in file names: "tsg-s2c", "throughput", ...
	Name string
	// Title says what it shows, in words.
	Title string
	SVG   []byte
}

// SVGStyle is the style sheet of the pictures. The HTML report includes it
// once; StandaloneSVG puts it inside each file.
const SVGStyle = `svg.tf{font:11px sans-serif;background:#fff}
svg.tf text{fill:#222}
svg.tf .ttl{font-size:13px;font-weight:bold}
svg.tf .ax{stroke:#555;fill:none}
svg.tf .gr{stroke:#e6e6e6}
svg.tf .tl{font-size:10px;fill:#444}
svg.tf .note{font-size:10px;fill:#666}
svg.tf .brk{fill:#f1f1f1;stroke:#bbb;stroke-dasharray:2 2}
svg.tf .d{stroke:#1f4e9c;stroke-width:1.6}
svg.tf .rx{stroke:#d62728;fill:#d62728;stroke-width:2}
svg.tf .fr{stroke:#d62728;fill:#d62728;stroke-width:2}
svg.tf .sp{stroke:#e377c2;fill:#fff;stroke-width:2}
svg.tf .oo{stroke:#ff7f0e;fill:#ff7f0e;stroke-width:2}
svg.tf .ls{stroke:#000;fill:#fff;stroke-width:1.2}
svg.tf .zp{stroke:#8c564b;fill:#8c564b;stroke-width:2}
svg.tf .ka{stroke:#7f7f7f;fill:#7f7f7f;stroke-width:1.5}
svg.tf .ack{stroke:#2ca02c;fill:none;stroke-width:1.3}
svg.tf .da{stroke:#145214;stroke-width:2}
svg.tf .win{stroke:#d4a300;fill:none;stroke-width:1.3}
svg.tf .sack{stroke:#b19cd9;stroke-width:4}
svg.tf .zw{fill:#d62728;fill-opacity:.13}
svg.tf .rst{stroke:#000;stroke-width:1.3;stroke-dasharray:5 3}
svg.tf .ev{font-size:9px;fill:#333}
svg.tf .c2s{stroke:#1f77b4;fill:#1f77b4}
svg.tf .s2c{stroke:#e6550d;fill:#e6550d}
svg.tf .rxb{stroke:#d62728;fill:none;stroke-width:1.5;stroke-dasharray:3 2}
svg.tf .inf{stroke:#1f4e9c;fill:#1f4e9c;stroke-width:2.5}
svg.tf .hrtt{stroke:#555;stroke-dasharray:6 4}
svg.tf .hov{fill:transparent}
svg.tf .col{stroke:#999}
svg.tf .arw{stroke:#333;fill:#333}
svg.tf .arw.bad{stroke:#d62728;fill:#d62728}
svg.tf .lbl{font:11px monospace}
svg.tf .lbl.bad{fill:#d62728}
svg.tf .st{font:bold 11px monospace;fill:#1f4e9c}
svg.tf .gap{font:italic 11px sans-serif;fill:#666}
`

// StandaloneSVG is a picture as an SVG file of its own: an XML declaration
// and the style sheet inside the element.
func StandaloneSVG(p Picture) []byte {
	end := bytes.IndexByte(p.SVG, '>') + 1
	out := make([]byte, 0, len(p.SVG)+len(SVGStyle)+64)
	out = append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"...)
	out = append(out, p.SVG[:end]...)
	out = append(out, "<style>\n"...)
	out = append(out, SVGStyle...)
	out = append(out, "</style>"...)
	out = append(out, p.SVG[end:]...)
	return append(out, '\n')
}

// svgBuf builds an SVG element.
type svgBuf struct{ b []byte }

func (s *svgBuf) str(x string) { s.b = append(s.b, x...) }

// num writes a coordinate rounded to a tenth.
func (s *svgBuf) num(v float64) { s.b = appendCoord(s.b, v) }

func appendCoord(b []byte, v float64) []byte {
	v = math.Round(v*10) / 10
	if v == 0 {
		return append(b, '0')
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', 1, 64)
}

// text escapes s for XML character data and attribute values.
func (s *svgBuf) text(x string) { s.b = appendXMLEscaped(s.b, x) }

// appendXMLEscaped appends x with &, <, >, " and ' escaped and control
// characters (which XML 1.0 forbids) as U+FFFD.
func appendXMLEscaped(b []byte, x string) []byte {
	for _, r := range x {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"':
			b = append(b, "&#34;"...)
		case r == '\'':
			b = append(b, "&#39;"...)
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xfffe, r == 0xffff:
			b = append(b, "\ufffd"...)
		default:
			b = append(b, string(r)...)
		}
	}
	return b
}

// open starts the picture's svg element; attrs, when not nil, writes more
// attributes.
func (s *svgBuf) open(w, h int, title string, attrs func()) {
	s.str(`<svg xmlns="http://www.w3.org/2000/svg" class="tf" width="`)
	s.num(float64(w))
	s.str(`" height="`)
	s.num(float64(h))
	s.str(`" viewBox="0 0 `)
	s.num(float64(w))
	s.str(" ")
	s.num(float64(h))
	s.str(`" role="img" aria-label="`)
	s.text(title)
	s.str(`"`)
	if attrs != nil {
		attrs()
	}
	s.str(`><title>`)
	s.text(title)
	s.str("</title>")
}

func (s *svgBuf) close() { s.str("</svg>") }

// attr writes ` name="v"` with v a coordinate.
func (s *svgBuf) attr(name string, v float64) {
	s.str(" ")
	s.str(name)
	s.str(`="`)
	s.num(v)
	s.str(`"`)
}

// element opens an element of class cls (none when "").
func (s *svgBuf) element(tag, cls string) {
	s.str("<")
	s.str(tag)
	if cls != "" {
		s.str(` class="`)
		s.str(cls)
		s.str(`"`)
	}
}

// line draws a line of class cls.
func (s *svgBuf) line(cls string, x1, y1, x2, y2 float64) {
	s.element("line", cls)
	s.attr("x1", x1)
	s.attr("y1", y1)
	s.attr("x2", x2)
	s.attr("y2", y2)
	s.str("/>")
}

// label writes a text at (x, y); anchor is "start", "middle" or "end".
func (s *svgBuf) label(cls string, x, y float64, anchor, t string) {
	s.element("text", cls)
	s.attr("x", x)
	s.attr("y", y)
	if anchor != "start" {
		s.str(` text-anchor="`)
		s.str(anchor)
		s.str(`"`)
	}
	s.str(">")
	s.text(t)
	s.str("</text>")
}

// rect draws a rectangle of class cls, with a hover title when title is set.
func (s *svgBuf) rect(cls string, x, y, w, h float64, title string) {
	s.element("rect", cls)
	s.attr("x", x)
	s.attr("y", y)
	s.attr("width", max(w, 0))
	s.attr("height", max(h, 0))
	if title == "" {
		s.str("/>")
		return
	}
	s.str("><title>")
	s.text(title)
	s.str("</title></rect>")
}

// shape is a marker drawn centred on a point.
type shape uint8

const (
	noShape shape = iota
	circle
	hollowCircle
	triangle
	triangleDown
	square
	diamond
	hollowDiamond
	cross
	tick // a short horizontal bar
)

// marker draws shape sh centred on (x, y).
func (s *svgBuf) marker(sh shape, x, y float64) {
	const r = 3.5
	switch sh {
	case circle, hollowCircle:
		s.element("circle", "")
		s.attr("cx", x)
		s.attr("cy", y)
		s.str(` r="3.5"/>`)
		return
	case square:
		s.element("rect", "mk") // a marker: a zoom moves it but keeps its size
		s.attr("x", x-r)
		s.attr("y", y-r)
		s.str(` width="7" height="7"/>`)
		return
	case noShape:
		return
	}
	s.str(`<path d="M`)
	s.num(x)
	s.str(" ")
	switch sh {
	case triangle:
		s.num(y - r - 1)
		s.str("l4.5 8h-9z")
	case triangleDown:
		s.num(y + r + 1)
		s.str("l4.5-8h-9z")
	case diamond, hollowDiamond:
		s.num(y - r - 1)
		s.str("l4.5 4.5l-4.5 4.5l-4.5-4.5z")
	case cross:
		s.num(y)
		s.str("m-4-4l8 8m0-8l-8 8")
	case tick:
		s.num(y)
		s.str("m-4 0h8")
	}
	s.str(`"/>`)
}

// scale maps values in [lo, hi] linearly to pixels [p0, p1].
type scale struct{ lo, hi, p0, p1 float64 }

func (s scale) at(v float64) float64 {
	if s.hi == s.lo {
		return s.p0
	}
	return s.p0 + (v-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
}

// clamp is at(v) kept within the pixel range.
func (s scale) clamp(v float64) float64 {
	p := s.at(v)
	lo, hi := min(s.p0, s.p1), max(s.p0, s.p1)
	return min(max(p, lo), hi)
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	}
	return 10 * p
}

// tick is a labelled position on an axis.
type axisTick struct {
	pos   float64
	label string
}

// valueAxis makes the scale of a vertical axis from 0 (or lo, when below)
// to at least hi over pixels [bottom, top], with round ticks about 40 pixels
// apart labelled by format; a nil format is for byte counts: whole steps,
// labelled by siFormat.
func valueAxis(lo, hi float64, bottom, top float64, format func(v, step float64) string) (scale, []axisTick) {
	lo = min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	n := max(2, math.Floor((bottom-top)/40))
	step := niceStep((hi - lo) / n)
	if format == nil { // counts: whole steps
		format = siFormat
		step = max(step, 1)
	}
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	sc := scale{lo, hi, bottom, top}
	var ticks []axisTick
	for v := lo; v <= hi+step/2; v += step {
		ticks = append(ticks, axisTick{sc.at(v), format(v, step)})
	}
	return sc, ticks
}

// siFormat labels values with k, M or G (powers of 1000), with as many
// decimals as the step needs: "0", "5k", "1.5M".
func siFormat(v, step float64) string {
	unit, suffix := 1.0, ""
	switch a := max(math.Abs(v), step); {
	case a >= 1e9:
		unit, suffix = 1e9, "G"
	case a >= 1e6:
		unit, suffix = 1e6, "M"
	case a >= 1e3:
		unit, suffix = 1e3, "k"
	}
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v/unit, 'f', decimalsFor(step/unit), 64) + suffix
}

// plainFormat labels values as they are, with the decimals the step needs.
func plainFormat(v, step float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', decimalsFor(step), 64)
}

// decimalsFor is how many decimals tell multiples of step apart.
func decimalsFor(step float64) int {
	if step <= 0 || step >= 1 {
		return 0
	}
	d := int(math.Ceil(-math.Log10(step) - 1e-9))
	if math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-6 {
		d++
	}
	return min(d, 9)
}

// timeAxis maps capture times (ns) to pixels. A connection that sat idle
// for long (a keep-alive after minutes, a late FIN) would leave its activity
// squeezed into a sliver, so long idle periods are cut out: the axis is made
// of islands of activity, all at one scale, separated by breaks of a fixed
// width that say how long the idle time was.
type timeAxis struct {
	base    int64 // ns: what tick labels count from (the capture's first frame)
	isl     []island
	pxPerNs float64
	x0, x1  float64
}

type island struct {
	t0, t1   int64   // ns
	px0, px1 float64 // where t0 and t1 are drawn
}

const (
	breakWidth = 36.0 // pixels of a cut-out idle period
	islandPad  = 6.0  // pixels before and after each island
	maxBreaks  = 4
	// An idle period is cut out when it lasts at least minBreak and more
	// than breakShare of the time that remains shown.
	minBreak   = int64(1e9)
	breakShare = 0.3
)

// gapSpan is an idle period between two consecutive segments.
type gapSpan struct{ t0, t1 int64 }

// newTimeAxis lays out the time from tMin to tMax over pixels [x0, x1],
// cutting out the longest of gaps where they dominate.
func newTimeAxis(base, tMin, tMax int64, gaps []gapSpan, x0, x1 float64) *timeAxis {
	a := &timeAxis{base: base, x0: x0, x1: x1}
	// Cut the longest gaps first, while each is long against what is left.
	ordered := append([]gapSpan(nil), gaps...)
	slices.SortStableFunc(ordered, func(a, b gapSpan) int { return cmp.Compare(b.t1-b.t0, a.t1-a.t0) })
	shown := tMax - tMin
	var cut []gapSpan
	for _, g := range ordered {
		d := g.t1 - g.t0
		if len(cut) == maxBreaks || d < minBreak || float64(d) <= breakShare*float64(shown) {
			break
		}
		cut = append(cut, g)
		shown -= d
	}
	slices.SortFunc(cut, func(a, b gapSpan) int { return cmp.Compare(a.t0, b.t0) })
	t := tMin
	for _, g := range cut {
		a.isl = append(a.isl, island{t0: t, t1: g.t0})
		t = g.t1
	}
	a.isl = append(a.isl, island{t0: t, t1: tMax})
	free := (x1 - x0) - float64(len(cut))*breakWidth - float64(len(a.isl))*2*islandPad
	if shown > 0 {
		a.pxPerNs = free / float64(shown)
	}
	px := x0
	for i := range a.isl {
		is := &a.isl[i]
		w := float64(is.t1-is.t0) * a.pxPerNs
		if shown == 0 {
			w = free / float64(len(a.isl))
		}
		is.px0 = px + islandPad
		is.px1 = is.px0 + w
		px = is.px1 + islandPad + breakWidth
	}
	return a
}

// x is where time t (ns) is drawn.
func (a *timeAxis) x(t int64) float64 {
	for i := range a.isl {
		is := &a.isl[i]
		if t <= is.t1 {
			if t >= is.t0 {
				if is.t1 == is.t0 {
					return (is.px0 + is.px1) / 2
				}
				return is.px0 + float64(t-is.t0)/float64(is.t1-is.t0)*(is.px1-is.px0)
			}
			if i == 0 {
				return is.px0
			}
			// Inside the break before island i.
			prev := &a.isl[i-1]
			f := float64(t-prev.t1) / float64(is.t0-prev.t1)
			return prev.px1 + islandPad + f*breakWidth
		}
	}
	return a.isl[len(a.isl)-1].px1
}

// ticks returns round times to label, about 90 pixels apart, in every
// island; an island too narrow for a round time gets its start labelled.
func (a *timeAxis) ticks() []axisTick {
	step := 1.0
	if a.pxPerNs > 0 {
		step = niceStep(90 / a.pxPerNs / 1e9) // seconds
	} else {
		step = 1
	}
	var out []axisTick
	for _, is := range a.isl {
		t0 := float64(is.t0-a.base) / 1e9
		t1 := float64(is.t1-a.base) / 1e9
		n := 0
		for i := math.Ceil(t0/step - 1e-9); i*step <= t1+1e-12; i++ {
			v := i * step
			if v == 0 {
				v = 0 // not -0
			}
			out = append(out, axisTick{a.x(a.base + int64(math.Round(v*1e9))), plainFormat(v, step)})
			n++
		}
		if n == 0 {
			out = append(out, axisTick{is.px0, strconv.FormatFloat(t0, 'f', decimalsFor(step/10), 64)})
		}
	}
	// Drop labels that would overlap the one before.
	kept := out[:0]
	last := math.Inf(-1)
	for _, t := range out {
		if t.pos-last >= 44 {
			kept = append(kept, t)
			last = t.pos
		}
	}
	return kept
}

// frame is a plot area inside a picture.
type frame struct {
	w, h           int
	left, right    float64 // x of the plot area's edges
	top, bottom    float64 // y of the plot area's edges
	ax             *timeAxis
	yScale         scale
	yTicks         []axisTick
	yTitle, xTitle string
	id             string // of the plot area's clip path, unique in a page
}

// Picture sizes: every graph of a connection has the same width and time
// axis, so they line up one above the other.
const (
	picWidth   = 900
	plotLeft   = 68.0
	plotRight  = picWidth - 14.0
	plotTop    = 46.0 // room for the title and a line of legend
	legendLine = 14.0
	plotBottom = 34.0 // below the plot: tick labels and the axis title
)

// openGraph starts a graph: the svg element, described for the page's
// zoom (data-ax: each island of the time axis as its pixels and seconds
// since the capture's start; data-plot: the plot area's edges), its title
// and its legend.
func (s *svgBuf) openGraph(f *frame, title string, legend []legendItem) {
	s.open(f.w, f.h, title, func() {
		s.str(` data-ax="`)
		for i, is := range f.ax.isl {
			if i > 0 {
				s.str(";")
			}
			s.num(is.px0)
			s.str(",")
			s.num(is.px1)
			s.str(",")
			s.str(seconds(is.t0 - f.ax.base))
			s.str(",")
			s.str(seconds(is.t1 - f.ax.base))
		}
		s.str(`"`)
		s.attr("data-left", f.left)
		s.attr("data-right", f.right)
		s.attr("data-bottom", f.bottom)
	})
	s.label("ttl", plotLeft, 16, "start", title)
	s.legend(legend, 34)
}

// axes draws the grid, the axes, their ticks and titles, and opens the plot
// area: a group clipped to it (so that a zoomed graph stays inside), where
// the breaks of the time axis are drawn first. plotEnd closes it.
func (s *svgBuf) axes(f *frame) {
	for _, t := range f.yTicks {
		s.line("gr", f.left, t.pos, f.right, t.pos)
		s.label("tl", f.left-4, t.pos+3.5, "end", t.label)
	}
	s.str(`<g class="xt">`)
	for _, t := range f.ax.ticks() {
		s.line("ax", t.pos, f.bottom, t.pos, f.bottom+4)
		s.label("tl", t.pos, f.bottom+14, "middle", t.label)
	}
	s.str(`</g><path class="ax" d="M`)
	s.num(f.left)
	s.str(" ")
	s.num(f.top)
	s.str("V")
	s.num(f.bottom)
	s.str("H")
	s.num(f.right)
	s.str(`"/>`)
	s.label("tl", (f.left+f.right)/2, float64(f.h)-4, "middle", f.xTitle)
	s.str(`<text class="tl" transform="translate(12 `)
	s.num((f.top + f.bottom) / 2)
	s.str(`) rotate(-90)" text-anchor="middle">`)
	s.text(f.yTitle)
	s.str("</text>")

	// The plot area, clipped; markers may stick out by a few pixels.
	s.str(`<clipPath id="`)
	s.str(f.id)
	s.str(`"><rect`)
	s.attr("x", f.left)
	s.attr("y", f.top-6)
	s.attr("width", f.right-f.left+6)
	s.attr("height", f.bottom-f.top+6)
	s.str(`/></clipPath><g class="plot" clip-path="url(#`)
	s.str(f.id)
	s.str(`)">`)
	for i := 1; i < len(f.ax.isl); i++ {
		prev, is := f.ax.isl[i-1], f.ax.isl[i]
		bx := prev.px1 + islandPad
		idle := duration(is.t0 - prev.t1)
		s.str(`<g><title>`)
		s.text("nothing captured for " + idle + ": this stretch of time is cut out")
		s.str("</title>")
		s.rect("brk", bx, f.top, breakWidth, f.bottom-f.top, "")
		s.label("note", bx+breakWidth/2, f.top+12, "middle", "idle")
		s.label("note", bx+breakWidth/2, f.top+24, "middle", idle)
		s.str("</g>")
	}
}

// plotEnd closes the plot area and the picture.
func (s *svgBuf) plotEnd() { s.str("</g></svg>") }

// legendItem is one entry of a legend: a sample of the mark and its name.
type legendItem struct {
	cls  string
	sh   shape
	line bool // a line sample rather than a marker
	box  bool // a filled box (an area)
	name string
}

// legend draws the items in rows under the title, from y on, wrapping
// before the right edge.
func (s *svgBuf) legend(items []legendItem, y float64) {
	x := plotLeft
	for _, it := range items {
		if w := 28 + 6.2*float64(len(it.name)); x+w > plotRight && x > plotLeft {
			x, y = plotLeft, y+legendLine
		}
		s.str(`<g class="`)
		s.str(it.cls)
		s.str(`">`)
		switch {
		case it.line:
			s.line(it.cls, x, y-3.5, x+16, y-3.5)
		case it.box:
			s.rect(it.cls, x, y-9, 16, 11, "")
		case it.sh == noShape:
			s.line(it.cls, x+8, y-9, x+8, y+2)
		default:
			s.marker(it.sh, x+8, y-3.5)
		}
		s.str("</g>")
		s.label("", x+20, y, "start", it.name)
		x += 28 + 6.2*float64(len(it.name))
	}
}
