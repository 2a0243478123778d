package main

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpflow/tcpflow/internal/chromium"
	"github.com/tcpflow/tcpflow/internal/gen"
)

// browser starts a headless Chromium for a test, or skips it.
func browser(t *testing.T) *chromium.Page {
	t.Helper()
	path, err := chromium.Find()
	if err != nil {
		t.Skip("the HTML report's browser test needs Chromium:", err)
	}
	b, err := chromium.Start(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p, err := b.NewPage(1280, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// writeHTML runs tcpflow with --html and returns the report's path.
func writeHTML(t *testing.T, capture string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	if code := run(append(append([]string{"--quiet", "--summary", "--html", out}, args...), capture), nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("tcpflow exited %d: %s", code, stderr.String())
	}
	return out
}

// open loads a report and fails on anything the page complains about or
// fetches besides itself.
func open(t *testing.T, p *chromium.Page, file string) {
	t.Helper()
	url := "file://" + file
	if _, err := p.Navigate(url); err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) > 0 {
		t.Errorf("the page reported:\n%s", strings.Join(p.Problems, "\n"))
	}
	for _, r := range p.Requests {
		if r != url {
			t.Errorf("the page fetched %s: a report must load nothing from elsewhere", r)
		}
	}
}

type box struct {
	Name          string
	Width, Height float64 // as laid out, within its border
	AttrW, AttrH  float64 // as the SVG asks
	X, Y          float64 // on the page
	Marks         int
}

// TestHTMLInBrowser opens the report of a lossy connection in headless
// Chromium: no console message or error, nothing fetched, every picture laid
// out at the size it asks with its marks inside, and a screenshot of the
// time-sequence graph that shows the red of the retransmissions.
func TestHTMLInBrowser(t *testing.T) {
	p := browser(t)
	file := writeHTML(t, "../../testdata/pcaps/lossy.pcap")
	open(t, p, file)
	var boxes []box
	err := p.Eval(`Array.from(document.querySelectorAll(".pics svg")).map(function (s) {
		var r = s.getBoundingClientRect();
		return {Name: s.getAttribute("aria-label"), Width: s.clientWidth, Height: s.clientHeight,
			X: r.left + scrollX + s.clientLeft, Y: r.top + scrollY + s.clientTop,
			AttrW: +s.getAttribute("width"), AttrH: +s.getAttribute("height"),
			Marks: s.querySelectorAll("line, path, circle, rect").length};
	})`, &boxes)
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 5 {
		t.Errorf("%d pictures, want 5 (time-sequence, in flight, throughput, RTT, ladder)", len(boxes))
	}
	// The page widens the pictures to its width (up to 1100 pixels),
	// keeping their proportions.
	for _, b := range boxes {
		if b.Width < b.AttrW || b.Width > 1100 || math.Abs(b.Height/b.Width-b.AttrH/b.AttrW) > 0.01 || b.Marks < 20 {
			t.Errorf("%s: laid out %gx%g (asks %gx%g), %d marks", b.Name, b.Width, b.Height, b.AttrW, b.AttrH, b.Marks)
		}
	}
	if len(boxes) == 0 {
		return
	}
	tsg := boxes[0]
	if !strings.Contains(tsg.Name, "time-sequence graph, server") {
		t.Fatalf("the first picture is %q, want the server's time-sequence graph", tsg.Name)
	}
	// Sections off the screen are not rendered (content-visibility): scroll
	// to the graph first, and wait for two frames to be drawn.
	err = p.Eval(`(async function () {
		document.querySelector(".pics svg").scrollIntoView();
		await new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(done); }); });
	})()`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// On a loaded machine the first frames may come before the graph is
	// painted: take the screenshot again until its colours are there (a
	// few seconds at most).
	colours := map[string][3]uint32{"retransmission red": {0xd6, 0x27, 0x28}, "ACK green": {0x2c, 0xa0, 0x2c}, "data blue": {0x1f, 0x4e, 0x9c}}
	var shot []byte
	for try := 0; ; try++ {
		shot, err = p.Screenshot(&chromium.Rect{X: tsg.X, Y: tsg.Y, Width: tsg.Width, Height: tsg.Height}, 1)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		painted := true
		for _, want := range colours {
			painted = painted && countColour(img, want) >= 5
		}
		if painted || try == 20 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	// TCPFLOW_SHOT_DIR keeps the screenshot for a look.
	if dir := os.Getenv("TCPFLOW_SHOT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "tsg.png"), shot, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); math.Abs(float64(sz.X)-tsg.Width) > 1 || math.Abs(float64(sz.Y)-tsg.Height) > 1 {
		t.Errorf("screenshot %v, want %gx%g", sz, tsg.Width, tsg.Height)
	}
	// Retransmission red (#d62728), the ACK line's green (#2ca02c) and the
	// data's blue (#1f4e9c) are on the screen.
	for name, want := range colours {
		if n := countColour(img, want); n < 5 {
			t.Errorf("%d pixels of %s in the screenshot", n, name)
		}
	}
	zoomInBrowser(t, p)
}

// zoomInBrowser drags across the time-sequence graph around the fast
// retransmission: every graph of the connection zooms to that stretch, the
// mark moves where the new scale puts it, the time axis gets new ticks
// within the stretch; a double click zooms back out.
func zoomInBrowser(t *testing.T, p *chromium.Page) {
	type view struct {
		Left, Top, Scale, PlotLeft, PlotRight float64 // the SVG on the screen and its scale; its plot area in its own pixels
		Mark                                  float64 // x of the fast retransmission's bar
		Zoomed                                int     // graphs with a zoom
		Zoom                                  []float64
		Ticks                                 []string
	}
	look := func() view {
		t.Helper()
		var v view
		err := p.Eval(`(function () {
			var s = document.querySelector(".pics svg"), r = s.getBoundingClientRect();
			return {Left: r.left + s.clientLeft, Top: r.top + s.clientTop, Scale: s.clientWidth / +s.getAttribute("width"),
				PlotLeft: +s.getAttribute("data-left"), PlotRight: +s.getAttribute("data-right"),
				Mark: +s.querySelector("g.fr line").getAttribute("x1"),
				Zoomed: document.querySelectorAll(".pics svg[data-zoom]").length,
				Zoom: (s.getAttribute("data-zoom") || "").split(",").filter(Boolean).map(Number),
				Ticks: Array.from(s.querySelectorAll("g.xt text")).map(function (e) { return e.textContent; })};
		})()`, &v)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := p.Eval(`document.querySelector(".pics svg").scrollIntoView()`, nil); err != nil {
		t.Fatal(err)
	}
	before := look()
	pa, pb := before.Mark-40, before.Mark+60
	y := before.Top + 200
	if err := p.Drag(before.Left+pa*before.Scale, y, before.Left+pb*before.Scale, y); err != nil {
		t.Fatal(err)
	}
	after := look()
	// The drag went from pixel to pixel of the screen: the stretch zoomed
	// into is the one asked for, give or take a pixel.
	if len(after.Zoom) != 2 || !near(after.Zoom[0], pa) || !near(after.Zoom[1], pb) {
		t.Fatalf("zoomed into %v, want about [%.1f %.1f]", after.Zoom, pa, pb)
	}
	k := (after.PlotRight - after.PlotLeft) / (after.Zoom[1] - after.Zoom[0])
	if want := after.PlotLeft + (before.Mark-after.Zoom[0])*k; !near(after.Mark, want) {
		t.Errorf("zoomed: the fast retransmission is at x %.1f, want %.1f", after.Mark, want)
	}
	if after.Zoomed != 4 {
		t.Errorf("%d graphs zoomed, want the 4 with a time axis", after.Zoomed)
	}
	if len(after.Ticks) < 4 || strings.Join(after.Ticks, " ") == strings.Join(before.Ticks, " ") {
		t.Errorf("zoomed time axis: ticks %v (before %v)", after.Ticks, before.Ticks)
	}
	if err := p.DoubleClick(before.Left+(before.PlotLeft+100)*before.Scale, y); err != nil {
		t.Fatal(err)
	}
	if back := look(); back.Zoomed != 0 || back.Mark != before.Mark || strings.Join(back.Ticks, " ") != strings.Join(before.Ticks, " ") {
		t.Errorf("after a double click: %+v, want %+v", back, before)
	}
	if len(p.Problems) > 0 {
		t.Errorf("the page reported:\n%s", strings.Join(p.Problems, "\n"))
	}
}

func near(a, b float64) bool { return a-b < 1.5 && b-a < 1.5 }

// countColour counts the pixels within a small distance of colour c.
func countColour(img image.Image, c [3]uint32) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := absDiff(r>>8, c[0]) + absDiff(g>>8, c[1]) + absDiff(bl>>8, c[2])
			if d < 24 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestHTMLTableInBrowser drives the connection table of a capture of
// hundreds of connections: the first page is there before any script work,
// the next page, sorting and filtering work, and nothing is reported.
func TestHTMLTableInBrowser(t *testing.T) {
	b, err := gen.Bytes(gen.BenchOptions[gen.Lossy])
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(t.TempDir(), "lossy.pcap")
	if err := os.WriteFile(capture, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := browser(t)
	file := writeHTML(t, capture)
	open(t, p, file)
	type state struct {
		N     int
		Rows  int
		First []string
		Info  string
		Pager string
	}
	look := func(action string) state {
		t.Helper()
		var s state
		err := p.Eval(`(async function () {
			`+action+`;
			await new Promise(function (r) { setTimeout(r, 400); });
			var rows = document.querySelectorAll("#conn-body tr");
			return {N: +document.getElementById("conns").getAttribute("data-n"), Rows: rows.length,
				First: Array.from(rows[0] ? rows[0].cells : []).map(function (c) { return c.textContent; }),
				Info: document.getElementById("info").textContent, Pager: document.getElementById("pager").textContent};
		})()`, &s)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return s
	}
	s := look("")
	if s.N <= 200 || s.Rows != 200 || s.First[0] != "0" || !strings.Contains(s.Pager, "rows 1–200 of") {
		t.Fatalf("first page: %+v", s)
	}
	s = look(`document.querySelector("#pager button:last-child").click()`)
	if s.Rows != 200 || s.First[0] != "200" {
		t.Errorf("second page: %d rows from connection %s, want 200 from 200", s.Rows, s.First[0])
	}
	s = look(`document.querySelector('#conns th[data-col="8"]').click(); document.querySelector('#conns th[data-col="8"]').click()`)
	var most []string
	if err := p.Eval(`Array.from(document.querySelectorAll("#conn-body tr")).slice(0, 5).map(function (r) { return r.cells[8].textContent; })`, &most); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(most); i++ {
		if atoi(most[i]) > atoi(most[i-1]) {
			t.Errorf("sorted by bytes s>c, descending: %v", most)
		}
	}
	s = look(`var q = document.getElementById("q"); q.value = "rst by server"; q.dispatchEvent(new Event("input"))`)
	if s.Rows == 0 || !strings.Contains(s.Info, "match") || s.First[11] != "RST by server" {
		t.Errorf("filtered on \"rst by server\": %+v", s)
	}
	s = look(`var q = document.getElementById("q"); q.value = ""; q.dispatchEvent(new Event("input")); var b = document.getElementById("bad"); b.checked = true; b.dispatchEvent(new Event("change"))`)
	if s.Rows == 0 || s.First[13] == "clean" {
		t.Errorf("only problems: %+v", s)
	}
	if len(p.Problems) > 0 {
		t.Errorf("the page reported:\n%s", strings.Join(p.Problems, "\n"))
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
