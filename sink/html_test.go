package sink_test

import (
	"bytes"
	"cmp"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	"github.com/tcpflow/tcpflow/sink"
	"github.com/tcpflow/tcpflow/state"
)

// writeCapture writes a capture to a temporary file.
func writeCapture(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// htmlReport runs the HTML sink (and SVG files into svgDir, when set) over
// a capture and returns the document.
func htmlReport(t *testing.T, path string, opts sink.HTMLOptions, popts pipeline.Options) []byte {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	var out bytes.Buffer
	opts.W = &out
	h, err := sink.NewHTML(&r.Stats, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(r, popts, h); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var sectionID = regexp.MustCompile(`<section class="conn" id="c([0-9]+)(?:-[0-9]+)?">`)

// sections lists the connections a report shows in detail.
func sections(doc []byte) []int {
	var ids []int
	for _, m := range sectionID.FindAllSubmatch(doc, -1) {
		id, _ := strconv.Atoi(string(m[1]))
		ids = append(ids, id)
	}
	return ids
}

// TestHTMLShowsTheWorst checks the connections the report shows in detail,
// picked as they finish, against the same choice made with every
// connection at hand: the Max worst by severity and the three worst of each
// finding, on a capture of hundreds of connections with losses.
func TestHTMLShowsTheWorst(t *testing.T) {
	b, err := gen.Bytes(gen.BenchOptions[gen.Lossy])
	if err != nil {
		t.Fatal(err)
	}
	path := writeCapture(t, "lossy.pcap", b)
	const max = 7
	doc := htmlReport(t, path, sink.HTMLOptions{Max: max}, pipeline.Options{})

	r := capture.NewReader(path)
	_, conns, err := pipeline.RunAll(r, pipeline.Options{}, false)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	type ranked struct {
		id, part int
		n        int64
	}
	order := func(rs []ranked) {
		slices.SortFunc(rs, func(a, b ranked) int {
			return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.id, b.id), cmp.Compare(a.part, b.part))
		})
	}
	want := map[int]bool{}
	var all []ranked
	for _, c := range conns {
		all = append(all, ranked{c.ID, c.Part, report.Severity(c)})
	}
	order(all)
	for _, r := range all[:max] {
		want[r.id] = true
	}
	for _, an := range state.AllAnalysis() {
		var rs []ranked
		for _, c := range conns {
			if n := int64(c.Data.Count[0][an.Index()] + c.Data.Count[1][an.Index()]); n > 0 {
				rs = append(rs, ranked{c.ID, c.Part, n})
			}
		}
		order(rs)
		for _, r := range rs[:min(3, len(rs))] {
			want[r.id] = true
		}
	}
	got := map[int]bool{}
	for _, id := range sections(doc) {
		got[id] = true
	}
	for id := range want {
		if !got[id] {
			t.Errorf("connection %d is among the worst but has no section", id)
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("connection %d has a section but is not among the worst", id)
		}
	}
	if len(conns) <= len(want) {
		t.Fatalf("only %d connections: the test needs more than the %d shown", len(conns), len(want))
	}
	// Every connection has a row of data, the detailed ones flagged, and
	// those with a problem (as --problems decides) flagged too, in the data
	// the page's script filters and in the table's first page.
	data := doc[bytes.Index(doc, []byte(`id="rows">`)):]
	if n := bytes.Count(data, []byte("\n[")) + 1; n != len(conns) {
		t.Errorf("%d rows of data, want %d", n, len(conns))
	}
	if n := bytes.Count(data, []byte(",1,0]")) + bytes.Count(data, []byte(",1,1]")); n != len(got) {
		t.Errorf("%d rows flagged as detailed, want %d", n, len(got))
	}
	problems, onPage := 0, 0 // onPage: among the table's first page, in id order
	slices.SortFunc(conns, func(a, b *pipeline.Connection) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Part, b.Part))
	})
	for i, c := range conns {
		if report.Problem(c) {
			problems++
			if i < report.HTMLPageRows {
				onPage++
			}
		}
	}
	if n := bytes.Count(data, []byte(",0,1]")) + bytes.Count(data, []byte(",1,1]")); n != problems || problems == 0 {
		t.Errorf("%d rows flagged as problems, want %d (not 0)", n, problems)
	}
	if n := bytes.Count(doc, []byte(`<tr class="bad">`)); n != onPage {
		t.Errorf("%d table rows marked bad, want %d", n, onPage)
	}
}

// TestHTMLPinned checks that a connection named with --conn gets a section
// even when it is clean.
func TestHTMLPinned(t *testing.T) {
	b, err := gen.Bytes(gen.BenchOptions[gen.Lossy])
	if err != nil {
		t.Fatal(err)
	}
	path := writeCapture(t, "lossy.pcap", b)
	doc := htmlReport(t, path, sink.HTMLOptions{Max: 1, Pinned: func(c *pipeline.Connection) bool { return c.ID == 0 }}, pipeline.Options{})
	if !slices.Contains(sections(doc), 0) {
		t.Errorf("connection 0 is pinned but has no section (sections %v)", sections(doc))
	}
}

// TestHTMLDeterministicAndBounded runs the report twice, the second time
// with every spool on disk and records spilled at once: the same bytes.
func TestHTMLDeterministicAndBounded(t *testing.T) {
	path := filepath.Join("..", "testdata", "pcaps", "lossy.pcap")
	a := htmlReport(t, path, sink.HTMLOptions{}, pipeline.Options{Reassemble: true})
	old := sink.SpoolMemory
	sink.SpoolMemory = 0
	defer func() { sink.SpoolMemory = old }()
	b := htmlReport(t, path, sink.HTMLOptions{}, pipeline.Options{Reassemble: true, RecordMemory: 1})
	if !bytes.Equal(a, b) {
		i := 0
		for i < min(len(a), len(b)) && a[i] == b[i] {
			i++
		}
		t.Errorf("two runs differ from byte %d: %q vs %q", i, a[i:min(len(a), i+80)], b[i:min(len(b), i+80)])
	}
	for _, want := range []string{"<!DOCTYPE html>", `<section class="conn" id="c0">`, "<svg ", "</html>\n"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<link", "src="} {
		if bad == "http://" {
			// The SVG namespace is the only address the page holds.
			if n, ns := bytes.Count(a, []byte(bad)), bytes.Count(a, []byte(`http://www.w3.org/2000/svg`)); n != ns {
				t.Errorf("the report names %d addresses besides the SVG namespace", n-ns)
			}
			continue
		}
		if bytes.Contains(a, []byte(bad)) {
			t.Errorf("the report loads something from elsewhere: it holds %q", bad)
		}
	}
}

// TestHTMLEscapes crafts a connection whose request line carries markup,
// and a capture whose name does: neither reaches the page unescaped.
func TestHTMLEscapes(t *testing.T) {
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	w := craft.NewWire(pw, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 100, 900)
	c.Handshake(10 * time.Millisecond)
	c.Client(craft.PSH|craft.ACK, craft.Payload([]byte("GET /<script>alert(1)</script>&amp; HTTP/1.1\r\nHost: x\r\n\r\n")))
	c.Server(craft.PSH|craft.ACK, craft.Payload([]byte("HTTP/1.1 200 OK\r\n\r\n")))
	c.Client(craft.FIN | craft.ACK)
	c.Server(craft.FIN | craft.ACK)
	c.Client(craft.ACK)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	path := writeCapture(t, `<img src=x onerror=alert(2)>.pcap`, buf.Bytes())
	doc := htmlReport(t, path, sink.HTMLOptions{}, pipeline.Options{Reassemble: true})
	for _, bad := range []string{"<script>alert", "<img src", "&amp; HTTP"} {
		if bytes.Contains(doc, []byte(bad)) {
			t.Errorf("the report holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"GET /&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp; HTTP/1.1", "&lt;img src=x onerror=alert(2)&gt;.pcap"} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if n := bytes.Count(doc, []byte("<script")); n != 2 {
		t.Errorf("%d script elements, want 2 (the table's data and the page's script)", n)
	}
}

// TestSVGFiles checks the files --svg writes: named by connection, never
// replacing a file unasked, and, when asked, replacing a symbolic link
// rather than writing through it.
func TestSVGFiles(t *testing.T) {
	path := filepath.Join("..", "testdata", "pcaps", "lossy.pcap")
	dir := t.TempDir()
	htmlReport(t, path, sink.HTMLOptions{SVGDir: dir}, pipeline.Options{})
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	var got []string
	for _, n := range names {
		got = append(got, filepath.Base(n))
		b, _ := os.ReadFile(n)
		if !bytes.HasPrefix(b, []byte("<?xml")) || !bytes.Contains(b, []byte("<style>")) || !bytes.HasSuffix(b, []byte("</svg>\n")) {
			t.Errorf("%s is not a standalone SVG file", n)
		}
	}
	want := []string{"00000000-inflight-s2c.svg", "00000000-ladder.svg", "00000000-rtt.svg", "00000000-throughput.svg", "00000000-tsg-s2c.svg"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}

	// A second run refuses before writing anything.
	r := capture.NewReader(path)
	defer r.Close()
	if _, err := sink.NewHTML(&r.Stats, sink.HTMLOptions{SVGDir: dir}); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Errorf("a second run into the same directory: %v, want a refusal", err)
	}

	// With Force, a symbolic link in place of a file is replaced, and what
	// it points to is left alone.
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "00000000-ladder.svg")
	os.Remove(link)
	if err := os.Symlink(outside, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	htmlReport(t, path, sink.HTMLOptions{SVGDir: dir, Force: true}, pipeline.Options{})
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("the file a link pointed to was overwritten: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("the link was not replaced by a file: %v %v", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tcpflow-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
