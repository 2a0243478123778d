package report_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/craft"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// svgNode is an SVG element parsed back, to check what was drawn where.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []svgNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *svgNode) num(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// title is the text of the element's <title> child.
func (n *svgNode) title() string {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == "title" {
			return n.Nodes[i].Text
		}
	}
	return ""
}

// walk calls f on n and every element under it, in document order.
func (n *svgNode) walk(f func(*svgNode)) {
	f(n)
	for i := range n.Nodes {
		n.Nodes[i].walk(f)
	}
}

func parseSVG(t *testing.T, b []byte) *svgNode {
	t.Helper()
	var n svgNode
	if err := xml.Unmarshal(b, &n); err != nil {
		t.Fatalf("the SVG does not parse: %v\n%s", err, b)
	}
	return &n
}

// pictures analyzes a capture and returns each connection's pictures by
// name, and the capture's first time.
func pictures(t *testing.T, path string) []map[string]report.Picture {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	_, conns, err := pipeline.RunAll(r, pipeline.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]report.Picture
	for _, c := range conns {
		m := map[string]report.Picture{}
		for _, p := range report.ConnPictures(r.Stats.FirstTime, c) {
			m[p.Name] = p
		}
		out = append(out, m)
	}
	return out
}

// axis maps values to pixels as the picture's tick labels say: it is fitted
// to the labelled ticks of one axis.
type axis struct {
	vals, pos []float64
}

// at is where v lies, interpolated between the nearest ticks on either side.
func (a *axis) at(t *testing.T, v float64) float64 {
	t.Helper()
	best := -1
	for i := 0; i+1 < len(a.vals); i++ {
		if a.vals[i] <= v && v <= a.vals[i+1] {
			best = i
			break
		}
	}
	if best < 0 {
		t.Fatalf("%v is outside the labelled ticks %v", v, a.vals)
	}
	f := (v - a.vals[best]) / (a.vals[best+1] - a.vals[best])
	return a.pos[best] + f*(a.pos[best+1]-a.pos[best])
}

// tickValue parses a tick label: "0.4", "15k", "1.5M".
func tickValue(s string) (float64, bool) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1e3
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1e6
	case strings.HasSuffix(s, "G"):
		s, mult = strings.TrimSuffix(s, "G"), 1e9
	}
	v, err := strconv.ParseFloat(s, 64)
	return v * mult, err == nil
}

// axes reads the tick labels of a graph: the x axis's labels are centred
// under it, the y axis's end at its left. The x ticks of one island of the
// time axis are those between two breaks: within tMin..tMax.
func axes(t *testing.T, svg *svgNode, tMin, tMax float64) (x, y axis) {
	t.Helper()
	svg.walk(func(n *svgNode) {
		if n.XMLName.Local != "text" || n.attr("class") != "tl" {
			return
		}
		v, ok := tickValue(n.Text)
		if !ok {
			return
		}
		switch n.attr("text-anchor") {
		case "middle":
			if v >= tMin && v <= tMax {
				x.vals, x.pos = append(x.vals, v), append(x.pos, n.num(t, "x"))
			}
		case "end":
			// The label sits 3.5 pixels below its grid line.
			y.vals, y.pos = append(y.vals, v), append(y.pos, n.num(t, "y")-3.5)
		}
	})
	if len(x.vals) < 2 || len(y.vals) < 2 {
		t.Fatalf("too few labelled ticks: x %v, y %v", x.vals, y.vals)
	}
	return x, y
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1 }

// windowCapture crafts a transfer limited by the receiver's window: the
// client advertises 4000 bytes (no window scaling) and the server sends
// 1000-byte segments as the window allows; one segment is lost after the
// capture point and retransmitted after a timeout. It returns the path of
// the capture, the frame and time of the retransmission and the sequence
// number it resent (relative), and the client's ACKs: frame, time and
// relative acknowledgment number.
type ackAt struct {
	frame int
	t     time.Time
	ack   uint32
}

func windowCapture(t *testing.T) (path string, rexmit craft.Sent, acks []ackAt, t0 time.Time) {
	t.Helper()
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	w := craft.NewWire(pw, t0)
	const serverISN = 5000
	c := w.Conn(netip.MustParseAddrPort("192.0.2.7:40000"), netip.MustParseAddrPort("198.51.100.9:8080"), 1000, serverISN)
	c.C.SYNWindow, c.C.Window = 4000, 4000
	c.Client(craft.SYN, craft.MSS(1000))
	w.Advance(10 * time.Millisecond)
	c.Server(craft.SYN|craft.ACK, craft.MSS(1000))
	w.Advance(10 * time.Millisecond)
	c.Client(craft.ACK)
	c.Client(craft.PSH|craft.ACK, craft.Payload([]byte("GET /file HTTP/1.1\r\n\r\n")))
	var lost craft.Sent
	for round := 0; round < 8; round++ {
		w.Advance(10 * time.Millisecond)
		for i := 0; i < 4; i++ {
			if round == 4 && i == 3 {
				lost = c.Server(craft.ACK, craft.Data(1000), craft.Dropped)
			} else {
				c.Server(craft.ACK, craft.Data(1000))
			}
			w.Advance(100 * time.Microsecond)
		}
		w.Advance(10 * time.Millisecond)
		a := c.Client(craft.ACK)
		acks = append(acks, ackAt{a.Frame, a.Time, a.Ack - serverISN})
		if round == 4 {
			w.Advance(200 * time.Millisecond)
			rexmit = c.Server(craft.ACK, craft.Seq(lost.Seq), craft.Data(1000))
			w.Advance(10 * time.Millisecond)
			a := c.Client(craft.ACK)
			acks = append(acks, ackAt{a.Frame, a.Time, a.Ack - serverISN})
		}
	}
	w.Advance(10 * time.Millisecond)
	c.Server(craft.FIN | craft.ACK)
	w.Advance(10 * time.Millisecond)
	c.Client(craft.FIN | craft.ACK)
	w.Advance(10 * time.Millisecond)
	c.Server(craft.ACK)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	rexmit.Seq -= serverISN
	path = filepath.Join(t.TempDir(), "window.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, rexmit, acks, t0
}

// TestTimeSequenceCoordinates checks where the time-sequence graph draws
// things, reading the picture back as a reader would, through its labelled
// axes: the retransmission where and when it happened, and the receive
// window line at the acknowledgment plus the window the client advertised.
func TestTimeSequenceCoordinates(t *testing.T) {
	path, rexmit, acks, t0 := windowCapture(t)
	pics := pictures(t, path)
	if len(pics) != 1 {
		t.Fatalf("%d connections, want 1", len(pics))
	}
	p, ok := pics[0]["tsg-s2c"]
	if !ok {
		t.Fatalf("no server time-sequence graph among %v", pics[0])
	}
	svg := parseSVG(t, p.SVG)
	secs := func(tm time.Time) float64 { return tm.Sub(t0).Seconds() }
	x, y := axes(t, svg, 0, 10)

	// The retransmission: its bar spans the bytes it resent, at its time.
	var found bool
	want := fmt.Sprintf("frame %d, ", rexmit.Frame)
	svg.walk(func(n *svgNode) {
		if n.XMLName.Local != "g" || n.attr("class") != "rx" || !strings.HasPrefix(n.title(), want) {
			return
		}
		found = true
		for i := range n.Nodes {
			l := &n.Nodes[i]
			if l.XMLName.Local != "line" {
				continue
			}
			if wx := x.at(t, secs(rexmit.Time)); !near(l.num(t, "x1"), wx) || !near(l.num(t, "x2"), wx) {
				t.Errorf("retransmission drawn at x %s, want %.1f (%.6f s)", l.attr("x1"), wx, secs(rexmit.Time))
			}
			top, bottom := y.at(t, float64(rexmit.Seq+1000)), y.at(t, float64(rexmit.Seq))
			if !near(l.num(t, "y1"), top) || !near(l.num(t, "y2"), bottom) {
				t.Errorf("retransmission spans y %s..%s, want %.1f..%.1f (seq %d-%d)", l.attr("y1"), l.attr("y2"), top, bottom, rexmit.Seq, rexmit.Seq+1000)
			}
		}
		if !strings.Contains(n.title(), "retransmission") {
			t.Errorf("retransmission's hover text %q does not say so", n.title())
		}
	})
	if !found {
		t.Fatalf("no retransmission mark titled %q", want)
	}

	// The window line: after each ACK it stands at ack + 4000.
	var win []point
	svg.walk(func(n *svgNode) {
		if n.XMLName.Local == "path" && n.attr("class") == "win" {
			win = pathPoints(t, n.attr("d"))
		}
	})
	if len(win) == 0 {
		t.Fatal("no window line")
	}
	for i, a := range acks {
		ax := x.at(t, secs(a.t))
		next := ax + 3 // just after the ACK, before the next one
		if i+1 < len(acks) {
			next = (ax + x.at(t, secs(acks[i+1].t))) / 2
		}
		got, ok := stepAt(win, next)
		if wy := y.at(t, float64(a.ack+4000)); !ok || !near(got, wy) {
			t.Errorf("after the ACK in frame %d (ack %d), the window line is at y %.1f, want %.1f (ack + 4000)", a.frame, a.ack, got, wy)
		}
	}
}

type point struct{ x, y float64 }

// pathPoints reads the vertices of a path drawn with M, H and V.
func pathPoints(t *testing.T, d string) []point {
	t.Helper()
	var pts []point
	var cur point
	for _, m := range regexp.MustCompile(`([MHV])([-0-9.]+)(?: ([-0-9.]+))?`).FindAllStringSubmatch(d, -1) {
		a, _ := strconv.ParseFloat(m[2], 64)
		switch m[1] {
		case "M":
			b, _ := strconv.ParseFloat(m[3], 64)
			cur = point{a, b}
		case "H":
			cur.x = a
		case "V":
			cur.y = a
		}
		pts = append(pts, cur)
	}
	return pts
}

// stepAt is the y of a step line at x: that of the last vertex at or
// before x.
func stepAt(pts []point, x float64) (float64, bool) {
	y, ok := 0.0, false
	for _, p := range pts {
		if p.x > x {
			break
		}
		y, ok = p.y, true
	}
	return y, ok
}

// outline describes a picture without its coordinates: each element with
// its class and its text or hover text, in document order. Golden outlines
// show what is drawn and what a reader learns by hovering.
func outline(t *testing.T, p report.Picture) string {
	svg := parseSVG(t, p.SVG)
	var b strings.Builder
	fmt.Fprintf(&b, "== %s %sx%s: %s\n", p.Name, svg.attr("width"), svg.attr("height"), p.Title)
	var walk func(n *svgNode, depth int)
	walk = func(n *svgNode, depth int) {
		for i := range n.Nodes {
			c := &n.Nodes[i]
			name := c.XMLName.Local
			if name == "title" {
				continue
			}
			line := strings.Repeat("  ", depth) + name
			if cls := c.attr("class"); cls != "" {
				line += "." + cls
			}
			if txt := strings.TrimSpace(c.Text); txt != "" && name == "text" {
				line += " " + strconv.Quote(txt)
			}
			if ttl := c.title(); ttl != "" {
				line += " title=" + strconv.Quote(ttl)
			}
			b.WriteString(line + "\n")
			if name == "g" {
				walk(c, depth+1)
			}
		}
	}
	walk(svg, 1)
	return b.String()
}

// outlineCases are the crafted captures whose pictures are kept as golden
// outlines (report/testdata/<capture>.svg.golden).
var outlineCases = []string{"lossy.pcap", "textbook.pcap", "textbook-retrans.pcap", "refused.pcap",
	"midstream.pcap", "seq-wrap.pcap", "simultaneous-open.pcap", "wscale-one-side.pcap", "rst-midstream.pcap", "port-reuse.pcap"}

// TestPictureOutlines keeps the outline of every picture of the crafted
// captures above as golden files (go test ./report -update rewrites them).
func TestPictureOutlines(t *testing.T) {
	for _, name := range outlineCases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "pcaps", name)
			r := capture.NewReader(path)
			defer r.Close()
			_, conns, err := pipeline.RunAll(r, pipeline.Options{}, true)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, c := range conns {
				for _, p := range report.ConnPictures(r.Stats.FirstTime, c) {
					b.WriteString(outline(t, p))
				}
			}
			checkGolden(t, name+".svg.golden", []byte(b.String()))
		})
	}
}

// TestPicturesOfALongConnection checks that a connection of many segments
// draws in bounded pictures: a bulk transfer of tens of thousands of
// segments, with every retransmission still marked.
func TestPicturesOfALongConnection(t *testing.T) {
	b, err := gen.Bytes(gen.BenchOptions[gen.Bulk])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bulk.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := capture.NewReader(path)
	defer r.Close()
	_, conns, err := pipeline.RunAll(r, pipeline.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	longest := conns[0]
	for _, c := range conns {
		if c.Data.Records.Len() > longest.Data.Records.Len() {
			longest = c
		}
	}
	n := longest.Data.Records.Len()
	if n < 3000 {
		t.Fatalf("the longest connection has only %d segments", n)
	}
	total := 0
	for _, p := range report.ConnPictures(r.Stats.FirstTime, longest) {
		total += len(p.SVG)
		parseSVG(t, p.SVG)
		if len(p.SVG) > 300<<10 {
			t.Errorf("%s of a connection of %d segments is %d bytes", p.Name, n, len(p.SVG))
		}
	}
	t.Logf("%d segments: %d bytes of pictures", n, total)
}

// TestPicturesWellFormed draws every connection of every crafted capture and
// of the corpus (with TCPFLOW_CORPUS) and parses each picture back as XML:
// whatever a capture holds, the pictures are well-formed and bounded.
func TestPicturesWellFormed(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "*.pcap*"))
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		files = append(files, more...)
	} else {
		t.Log("TCPFLOW_CORPUS not set: only the crafted captures")
	}
	pics := 0
	for _, f := range files {
		r := capture.NewReader(f)
		_, conns, _ := pipeline.RunAll(r, pipeline.Options{}, true) // faulty captures too: what was read
		for _, c := range conns {
			for _, p := range report.ConnPictures(r.Stats.FirstTime, c) {
				pics++
				d := xml.NewDecoder(bytes.NewReader(p.SVG))
				for {
					_, err := d.Token()
					if err != nil {
						if err != io.EOF {
							t.Errorf("%s, connection %d, %s: %v", filepath.Base(f), c.ID, p.Name, err)
						}
						break
					}
				}
				if len(p.SVG) > 300<<10 {
					t.Errorf("%s, connection %d, %s: %d bytes", filepath.Base(f), c.ID, p.Name, len(p.SVG))
				}
			}
		}
		r.Close()
	}
	t.Logf("%d pictures of %d captures", pics, len(files))
}
