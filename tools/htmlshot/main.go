// Command htmlshot opens an HTML report in headless Chromium, says how long
// it took to load and how much CPU the page cost, and can take a screenshot
// of one element, with its colours reduced so that the PNG stays small (the
// screenshot in docs/ is made with it).
//
//	go run ./tools/htmlshot -repeat 5 report.html
//	go run ./tools/htmlshot -o docs/lossy-report.png -selector '#c0' -height 1400 report.html
//
// Chromium comes from $TCPFLOW_CHROMIUM or the PATH (Debian: apt-get install
// chromium).
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/tcpflow/tcpflow/internal/chromium"
	"github.com/tcpflow/tcpflow/report"
)

func main() {
	out := flag.String("o", "", "write a screenshot to `FILE` (PNG)")
	selector := flag.String("selector", "body", "the element to take a screenshot of (CSS selector)")
	width := flag.Int("width", 1280, "the window's width in CSS pixels")
	height := flag.Float64("height", 0, "cut the screenshot to `N` CSS pixels high (0: the whole element)")
	colours := flag.Int("colours", 96, "reduce the screenshot to `N` colours (0: keep them all)")
	repeat := flag.Int("repeat", 1, "load the page `N` times, each in a new tab, and print the median")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: htmlshot [flags] REPORT.html")
		flag.PrintDefaults()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out, *selector, *width, *height, *colours, *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "htmlshot:", err)
		os.Exit(1)
	}
}

func run(file, out, selector string, width int, height float64, colours, repeat int) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return err
	}
	path, err := chromium.Find()
	if err != nil {
		return err
	}
	b, err := chromium.Start(path)
	if err != nil {
		return err
	}
	defer b.Close()
	var loads, cpus []float64
	var p *chromium.Page
	for i := 0; i < max(repeat, 1); i++ {
		if p != nil {
			p.Close()
		}
		if p, err = b.NewPage(width, 1000); err != nil {
			return err
		}
		if err := p.EnableMetrics(); err != nil {
			return err
		}
		load, err := p.Navigate("file://" + abs)
		if err != nil {
			return err
		}
		m, err := p.Metrics()
		if err != nil {
			return err
		}
		loads, cpus = append(loads, load.Seconds()), append(cpus, m["ThreadTime"])
		fmt.Printf("load %.3f s, renderer main thread CPU %.3f s, layout %.3f s, %d DOM nodes\n",
			load.Seconds(), m["ThreadTime"], m["LayoutDuration"], int(m["Nodes"]))
		for _, pr := range p.Problems {
			fmt.Println("page:", pr)
		}
	}
	defer p.Close()
	fmt.Printf("%s (%d bytes): median load %.3f s, median CPU %.3f s over %d loads\n", file, fi.Size(), median(loads), median(cpus), len(loads))
	if out == "" {
		return nil
	}
	var r chromium.Rect
	// Sections off the screen are not rendered (content-visibility): make
	// them all visible and wait for two frames to be drawn.
	err = p.Eval(`(async function () {
		var e = document.querySelector(`+quote(selector)+`);
		if (!e) return null;
		document.querySelectorAll("section.conn").forEach(function (s) { s.style.contentVisibility = "visible"; });
		e.scrollIntoView();
		await new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(done); }); });
		var r = e.getBoundingClientRect();
		return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};
	})()`, &r)
	if err != nil {
		return err
	}
	if r.Width == 0 {
		return fmt.Errorf("no element %q, or it is empty", selector)
	}
	if height > 0 {
		r.Height = min(r.Height, height)
	}
	shot, err := p.Screenshot(&r, 1)
	if err != nil {
		return err
	}
	if colours > 0 {
		if shot, err = reduce(shot, colours); err != nil {
			return err
		}
	}
	return os.WriteFile(out, shot, 0o644)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// reduce rewrites a PNG with its n most frequent colours, each pixel taking
// the nearest: a report's screenshot is mostly flat colours, so this keeps
// it sharp at a fraction of the size.
func reduce(b []byte, n int) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	bounds := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			counts[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}]++
		}
	}
	type cc struct {
		c color.RGBA
		n int
	}
	var all []cc
	for c, k := range counts {
		all = append(all, cc{c, k})
	}
	slices.SortFunc(all, func(a, b cc) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.c.R, b.c.R), cmp.Compare(a.c.G, b.c.G), cmp.Compare(a.c.B, b.c.B))
	})
	// The graphs' own colours first, however few pixels they cover (a
	// thin line of data is what the reader looks for), then the most used.
	pal := color.Palette{}
	for _, m := range regexp.MustCompile(`#([0-9a-f]{6}|[0-9a-f]{3})\b`).FindAllStringSubmatch(report.SVGStyle, -1) {
		h := m[1]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		v, _ := strconv.ParseUint(h, 16, 32)
		c := color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
		if !slices.Contains(pal, color.Color(c)) {
			pal = append(pal, c)
		}
	}
	for _, c := range all {
		if len(pal) >= n {
			break
		}
		if !slices.Contains(pal, color.Color(c.c)) {
			pal = append(pal, c.c)
		}
	}
	out := image.NewPaletted(bounds, pal)
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
