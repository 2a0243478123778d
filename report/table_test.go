package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
)

// TestASCIITableMatchesTablewriter checks that the hand-drawn big table is
// the one tablewriter draws, so the summary looks the same whatever the
// number of connections.
func TestASCIITableMatchesTablewriter(t *testing.T) {
	header := []string{"id", "client", "a longer header", "x"}
	var rows [][]string
	for i := 0; i < BigTable+3; i++ {
		rows = append(rows, []string{fmt.Sprint(i), fmt.Sprintf("10.0.0.%d:%d", i%250, 40000+i), strings.Repeat("v", i%23), ""})
	}
	var want bytes.Buffer
	tbl := tablewriter.NewTable(&want,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Table(&got, header, rows); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("hand-drawn table differs from tablewriter's (-want +got):\n%s", lineDiff(want.String(), got.String()))
	}
}

// TestWrapLine checks where long lines break: after list items, at spaces,
// inside a word only when it is longer than a line; widths in characters.
func TestWrapLine(t *testing.T) {
	for _, tt := range []struct {
		line  string
		width int
		want  string
	}{
		{"short line", 20, "short line\n"},
		{"client: ISN 1, MSS 1460, window scale 7 (x128), final state TIME_WAIT", 50,
			"client: ISN 1, MSS 1460, window scale 7 (x128),\n    final state TIME_WAIT\n"},
		{"one two three four five six seven", 12, "one two\n    three\n    four\n    five six\n    seven\n"},
		{"a 0123456789abcdefghij", 10, "a\n    012345\n    6789ab\n    cdefgh\n    ij\n"},
		{"RTT 40.0 µs/60.0 µs/90.0 µs (3 samples)", 27, "RTT 40.0 µs/60.0 µs/90.0 µs\n    (3 samples)\n"},
		{"no width at all, however long the line is", 0, "no width at all, however long the line is\n"},
	} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		wrapLine(w, tt.line, 0, "    ", tt.width)
		w.Flush()
		if b.String() != tt.want {
			t.Errorf("wrapLine(%q, %d):\n%s\nwant:\n%s", tt.line, tt.width, b.String(), tt.want)
		}
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if tt.width > 0 && width(l) > tt.width {
				t.Errorf("wrapLine(%q, %d): %q is %d wide", tt.line, tt.width, l, width(l))
			}
		}
	}
}

// TestShorten checks that long endpoints lose whole groups from the middle
// of the address and keep their port.
func TestShorten(t *testing.T) {
	for _, tt := range []struct {
		ep   string
		n    int
		want string
	}{
		{"192.168.1.10:51234", 24, "192.168.1.10:51234"},
		{"[2001:db8::1]:443", 24, "[2001:db8::1]:443"},
		{"[2001:470:1f17:13f:25a3:3292:16f9:2ce0]:60491", 36, "[2001:470:1f17..16f9:2ce0]:60491"},
		{"[2001:470:1f17:13f:25a3:3292:16f9:2ce0]:60491", 24, "[2001:470..2ce0]:60491"},
		{"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", 30, "[ffff:ffff..ffff:ffff]:65535"},
		{"[abcdefabcdefabcdefabcdef]:1", 12, "[abc..def]:1"},
	} {
		got := shorten(tt.ep, tt.n)
		if got != tt.want || len(got) > tt.n {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.ep, tt.n, got, tt.want)
		}
	}
}

// TestShortTableWidth draws rows with the widest cells a capture can give
// (IPv6 endpoints, big counts, every finding) and requires them to fit.
func TestShortTableWidth(t *testing.T) {
	row := []string{"12345", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[2001:db8:85a3:8d3:1319:8a2e:370:7348]:443",
		"1234.567 s", "999999", "999999", "9999999999", "9999999999", "half-closed", "by server", "RSTOS0",
		"reset, 123456 retransmissions, capture gaps, zero window, 77 out of order, 9999 dup ACKs"}
	widths := make([]int, numShortCells)
	for i, c := range row {
		widths[i] = width(c)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	tbl := NewShortTable(w, widths, DefaultWidth)
	tbl.Begin()
	tbl.Row(row)
	w.Flush()
	for _, l := range strings.Split(b.String(), "\n") {
		if width(l) > DefaultWidth {
			t.Errorf("%d columns: %q", width(l), l)
		}
	}
	if !strings.Contains(b.String(), "9999 dup ACKs") || !strings.Contains(b.String(), " retransmissions,\n") ||
		!strings.Contains(b.String(), "[ffff..ffff]:65535") {
		t.Errorf("a cell is lost:\n%s", b.String())
	}
}

// BenchmarkConnFacts writes a connection's facts, wrapped to the default
// width and not: the wrapping runs once per connection of a summary.
func BenchmarkConnFacts(b *testing.B) {
	r := capture.NewReader("../testdata/pcaps/lossy.pcap")
	defer r.Close()
	_, conns, err := pipeline.RunAll(r, pipeline.Options{Reassemble: true}, false)
	if err != nil || len(conns) == 0 {
		b.Fatal(err)
	}
	for _, width := range []int{0, DefaultWidth} {
		b.Run(strconv.Itoa(width), func(b *testing.B) {
			bw := bufio.NewWriter(io.Discard)
			b.ReportAllocs()
			for b.Loop() {
				ConnFacts(bw, 0, conns[0], Options{Width: width})
			}
		})
	}
}
