package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// packetGoldens are the per-packet outputs kept as golden files, named
// <capture>.<name>.golden: the textbook captures frame by frame.
var packetGoldens = []struct {
	capture, name string
	conn          int    // -1: every connection
	frames        string // "lo-hi", "" for all
	format        sink.PacketFormat
	explain       bool
}{
	{"textbook.pcap", "dissect", -1, "", sink.DissectText, false},
	{"textbook.pcap", "dissect-explain", -1, "1-4", sink.DissectText, true},
	{"textbook.pcap", "dissect-json", -1, "4", sink.DissectJSON, false},
	{"textbook.pcap", "tcpdump", -1, "", sink.Tcpdump, false},
	// The echo session over loopback: checksums left to offload, MSS 65495.
	{"loopback.pcap", "conn0.dissect", 0, "", sink.DissectText, false},
	{"loopback.pcap", "conn1.dissect-explain", 1, "", sink.DissectText, true},
	{"loopback.pcap", "tcpdump", -1, "", sink.Tcpdump, false},
	{"non-tcp.pcap", "dissect", -1, "", sink.DissectText, false},
	{"non-tcp.pcap", "tcpdump", -1, "", sink.Tcpdump, false},
	{"ipv6-ext.pcap", "dissect", -1, "1", sink.DissectText, false},
	{"vlan-qinq.pcap", "dissect", -1, "2", sink.DissectText, false},
	{"sll2.pcap", "dissect", -1, "1", sink.DissectText, false},
	{"corpus.chrissanders__tcp_handshake.pcapng", "dissect", -1, "", sink.DissectText, false},
	{"corpus.chrissanders__tcp_handshake.pcapng", "tcpdump", -1, "", sink.Tcpdump, false},
}

// runPackets runs one per-packet output over a capture.
func runPackets(t *testing.T, path string, conn int, frames string, format sink.PacketFormat, explain bool) []byte {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	var out bytes.Buffer
	opts := pipeline.Options{}
	if conn >= 0 {
		opts.Select = func(c *pipeline.Connection) bool { return c.ID == conn }
	}
	if frames != "" {
		lo, hi, ok := strings.Cut(frames, "-")
		if !ok {
			hi = lo
		}
		var a, b uint64
		for _, p := range []struct {
			s string
			v *uint64
		}{{lo, &a}, {hi, &b}} {
			for _, c := range p.s {
				*p.v = *p.v*10 + uint64(c-'0')
			}
		}
		opts.Frames = func(n uint64) bool { return n >= a && n <= b }
	}
	if _, err := pipeline.Run(r, opts, sink.NewPackets(&out, &r.Stats, format, explain)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestPacketsGolden checks the golden dissections and tcpdump lines.
func TestPacketsGolden(t *testing.T) {
	corpus := os.Getenv("TCPFLOW_CORPUS")
	for _, g := range packetGoldens {
		path := filepath.Join("../testdata/pcaps", g.capture)
		if name, ok := strings.CutPrefix(g.capture, "corpus."); ok {
			if corpus == "" {
				continue
			}
			path = filepath.Join(corpus, name)
		}
		t.Run(g.capture+"."+g.name, func(t *testing.T) {
			got := runPackets(t, path, g.conn, g.frames, g.format, g.explain)
			checkGolden(t, g.capture+"."+g.name+".golden", got)
		})
	}
}

// TestDissectEveryFrame dissects every frame of every testdata capture
// (IPv6 extension headers, VLANs, Linux cooked captures, fragments, cut
// frames, tunnels, link types) and, with TCPFLOW_CORPUS, the first 300 of
// each corpus capture, in
// text with and without explanations and in JSON: no line is wider than
// 100 columns, no control character reaches the terminal, the JSON is valid,
// and every TCP segment shows its TCP header with its checksum's status.
func TestDissectEveryFrame(t *testing.T) {
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		for _, pat := range []string{"*.pcap", "*.pcapng", "*.cap"} {
			more, _ := filepath.Glob(filepath.Join(dir, pat))
			files = append(files, more...)
		}
	}
	frames := 0
	for _, path := range files {
		r := capture.NewReader(path)
		c := &dissectAll{t: t, name: filepath.Base(path), base: &r.Stats}
		opts := pipeline.Options{}
		if !strings.Contains(path, "testdata") {
			opts.Frames = func(n uint64) bool { return n <= 300 }
		}
		if _, err := pipeline.Run(r, opts, c); err != nil {
			t.Fatal(err)
		}
		r.Close()
		frames += c.n
	}
	t.Logf("%d frames dissected", frames)
}

type dissectAll struct {
	t    *testing.T
	name string
	base *capture.Stats
	n    int
	b    []byte
}

func (c *dissectAll) Finished(*pipeline.Connection) error { return nil }
func (c *dissectAll) End(*pipeline.Summary) error         { return nil }

func (c *dissectAll) Frame(f *pipeline.Frame) error {
	t := c.t
	c.n++
	d := report.DissectFrame(f)
	for _, explain := range []bool{false, true} {
		c.b = report.AppendDissectText(c.b[:0], d, c.base.FirstTime, explain)
		for i, line := range strings.Split(strings.TrimSuffix(string(c.b), "\n"), "\n") {
			if n := utf8.RuneCountInString(line); n > 100 {
				t.Errorf("%s frame %d: line %d is %d columns wide: %q", c.name, f.Number, i+1, n, line)
			}
			if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("%s frame %d: control character in %q", c.name, f.Number, line)
			}
		}
	}
	js, err := report.AppendDissectJSON(nil, d, c.base.FirstTime, true)
	if err != nil || !json.Valid(js) {
		t.Errorf("%s frame %d: invalid JSON (%v): %s", c.name, f.Number, err, js)
	}
	if f.Record != nil {
		found := false
		for _, h := range d.Headers {
			if h.Key != "tcp" {
				continue
			}
			for _, fd := range h.Fields {
				found = found || fd.Key == "checksum"
			}
		}
		if !found {
			t.Errorf("%s frame %d: an analyzed segment without a TCP header and its checksum", c.name, f.Number)
		}
	}
	return nil
}

// BenchmarkPacketOutputs measures rendering the frames of a capture as
// tcpdump's lines and as dissections (the run itself excluded).
func BenchmarkPacketOutputs(b *testing.B) {
	r := capture.NewReader("../testdata/pcaps/lossy.pcap")
	var frames []*pipeline.Frame
	keep := &keepFrames{}
	if _, err := pipeline.Run(r, pipeline.Options{}, keep); err != nil {
		b.Fatal(err)
	}
	r.Close()
	frames = keep.frames
	b.Run("tcpdump", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			for _, f := range frames {
				buf = report.AppendTcpdump(buf[:0], &f.Frame)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	})
	b.Run("dissect", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			for _, f := range frames {
				buf = report.AppendDissectText(buf[:0], report.DissectFrame(f), 0, false)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	})
}

// keepFrames keeps a copy of every frame.
type keepFrames struct{ frames []*pipeline.Frame }

func (k *keepFrames) Finished(*pipeline.Connection) error { return nil }
func (k *keepFrames) End(*pipeline.Summary) error         { return nil }
func (k *keepFrames) Frame(f *pipeline.Frame) error {
	c := &pipeline.Frame{Conn: nil, Dir: f.Dir}
	var arena []byte
	f.Frame.Clone(&c.Frame, &arena)
	if f.Record != nil {
		rec := *f.Record
		c.Record = &rec
	}
	k.frames = append(k.frames, c)
	return nil
}
