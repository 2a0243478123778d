package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/corpus"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// connCheck is a sink comparing each finished connection's hand-written
// JSONL line and JSON object (jsonconn.go) with encoding/json's of
// connJSONAt, the reference.
type connCheck struct {
	stats *capture.Stats
	name  string
	n     int
	diffs []string
	// What the captures exercised, so that a missing kind shows.
	seen map[string]int
}

func (s *connCheck) NeedsRecords() bool { return true }

func (s *connCheck) Finished(c *pipeline.Connection) error {
	base := s.stats.FirstTime
	s.n++
	differ := func(what string, got, want []byte) {
		if !bytes.Equal(got, want) && len(s.diffs) < 3 {
			s.diffs = append(s.diffs, fmt.Sprintf("%s: connection %d part %d, %s:\n%s", s.name, c.ID, c.Part, what, firstDiff(got, want)))
		}
	}

	got, err := AppendConnLine([]byte("xx"), base, c, Options{})
	if err != nil {
		return err
	}
	want, err := json.Marshal(jsonlConn{"connection", connJSONAt(base, c, Options{Summary: true})})
	if err != nil {
		return err
	}
	differ("JSONL line", got, append([]byte("xx"), append(want, '\n')...))

	got, err = AppendConnJSON([]byte("xx"), base, c, Options{Summary: true})
	if err != nil {
		return err
	}
	want, err = json.MarshalIndent(connJSONAt(base, c, Options{Summary: true}), connIndent, " ")
	if err != nil {
		return err
	}
	differ("JSON object (summary)", got, append([]byte("xx"), want...))

	// With its segments (referenceSeg, jsonappend_test.go).
	got, err = AppendConnJSON(nil, base, c, Options{})
	if err != nil {
		return err
	}
	jc := connJSONAt(base, c, Options{})
	ti := 0
	for _, r := range c.Data.Records.All() {
		t0 := ti
		for ti < len(c.Data.Transitions) && c.Data.Transitions[ti].Frame <= r.Frame {
			ti++
		}
		*jc.Segments = append(*jc.Segments, referenceSeg(base, r, c.Data.Transitions[t0:ti]))
	}
	if want, err = json.MarshalIndent(jc, connIndent, " "); err != nil {
		return err
	}
	differ("JSON object with segments", got, want)

	a := c.Data
	for k, ok := range map[string]bool{"part": c.Part > 0, "evicted": c.Evicted, "icmp": len(a.ICMP) > 0,
		"bad_headers": len(a.BadHeaders) > 0, "streams": a.Streams != nil, "longest_stall": state.ToldStalls(c) != nil,
		"karn":     a.Dir[0].Karn.Count+a.Dir[1].Karn.Count > 0,
		"gaps":     a.Streams != nil && len(a.Streams.Facts[0].Gaps)+len(a.Streams.Facts[1].Gaps) > 0,
		"overlaps": a.Streams != nil && len(a.Streams.Facts[0].Overlaps)+len(a.Streams.Facts[1].Overlaps) > 0,
		"proto":    a.Streams != nil && a.Streams.Facts[0].Proto+a.Streams.Facts[1].Proto != "",
		"verdicts": len(findings(c)) > 1} {
		if ok {
			s.seen[k]++
		}
	}
	return nil
}

func (s *connCheck) End(*pipeline.Summary) error { return nil }

// firstDiff shows where two byte strings part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("got  ...%q\nwant ...%q", got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

// TestConnAppendMatchesEncodingJSON checks the hand-written connection
// object, the JSONL line's and the JSON document's (with its segments,
// indented by appendIndented, and without), against encoding/json on
// every connection of the project's captures and of the corpus (with
// TCPFLOW_CORPUS), with and without reassembly; and on the project's, with a
// cap of 4 open connections (evicted connections, continuation parts) and
// tiny reassembly buffers (buffer-limit gaps).
func TestConnAppendMatchesEncodingJSON(t *testing.T) {
	own, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	paths := own
	if dir := corpus.Optional(t, "only the project's captures are checked"); dir != "" {
		all, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		paths = append(paths, all...)
	}
	runs := []struct {
		name  string
		opts  pipeline.Options
		paths []string
	}{
		{"plain", pipeline.Options{}, paths},
		{"reassembled", pipeline.Options{Reassemble: true}, paths},
		// The project's captures only: on the corpus's larger ones a cap of
		// 4 makes tens of thousands of parts.
		{"bounded", pipeline.Options{Reassemble: true, MaxConns: 4,
			Stream: stream.Options{MaxBytes: 4000, MaxBytesTotal: 8000, Idle: stream.DefaultOptions.Idle}}, own},
	}
	seen := map[string]int{}
	conns := 0
	for _, run := range runs {
		for _, p := range run.paths {
			r := capture.NewReader(p)
			check := &connCheck{stats: &r.Stats, name: run.name + " " + filepath.Base(p), seen: seen}
			_, err := pipeline.Run(r, run.opts, check)
			r.Close()
			if err != nil && check.n == 0 {
				t.Logf("%s: %v", check.name, err) // a capture the reader refuses
			}
			for _, d := range check.diffs {
				t.Error(d)
			}
			conns += check.n
		}
	}
	t.Logf("%d connections compared; exercised: %v", conns, seen)
	for _, k := range []string{"part", "evicted", "icmp", "bad_headers", "streams", "longest_stall", "karn", "gaps", "proto", "verdicts"} {
		if seen[k] == 0 {
			t.Errorf("no connection with %s: the comparison misses a kind", k)
		}
	}
}

// TestAppendStringMatchesEncodingJSON checks appendString and quoteFrom on
// what encoding/json escapes: controls, quotes, backslashes, HTML's < > &,
// U+2028 and U+2029, invalid UTF-8.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b\c`, "<a href=x&y>", "\u2028\u2029", "tab\tnl\ncr\r\x00\x1f\x7f",
		"caf\xc3\xa9", "bad\xff\xfe", "trunc\xe2\x80", "\u2027\u202a", "😀"} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
		b := append([]byte(`x"`), s...)
		if got := quoteFrom(b, 2); !bytes.Equal(got[1:], want) {
			t.Errorf("quoteFrom(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

// BenchmarkAppendConnLine appends the connection lines of the project's
// captures, as --format jsonl does when each connection finishes; beside it
// the reference, encoding/json of connJSONAt, for comparison.
func BenchmarkAppendConnLine(b *testing.B) {
	benchConnEncoding(b, func(line []byte, base int64, c *pipeline.Connection) ([]byte, error) {
		return AppendConnLine(line, base, c, Options{})
	}, func(line []byte, base int64, c *pipeline.Connection) ([]byte, error) {
		return appendJSONLine(line, jsonlConn{"connection", connJSONAt(base, c, Options{Summary: true})})
	})
}

// BenchmarkAppendConnJSON is the same for the JSON document's objects
// (--format json --summary).
func BenchmarkAppendConnJSON(b *testing.B) {
	benchConnEncoding(b, func(obj []byte, base int64, c *pipeline.Connection) ([]byte, error) {
		return AppendConnJSON(obj, base, c, Options{Summary: true})
	}, func(obj []byte, base int64, c *pipeline.Connection) ([]byte, error) {
		j, err := json.MarshalIndent(connJSONAt(base, c, Options{Summary: true}), connIndent, " ")
		return append(obj, j...), err
	})
}

type connEncoder func(b []byte, base int64, c *pipeline.Connection) ([]byte, error)

func benchConnEncoding(b *testing.B, hand, reference connEncoder) {
	var all []benchConns
	n := 0
	paths, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	for _, p := range paths {
		all = append(all, collectConns(b, p))
		n += len(all[len(all)-1].list)
	}
	for _, enc := range []struct {
		name string
		f    connEncoder
	}{{"hand", hand}, {"encoding_json", reference}} {
		b.Run(enc.name, func(b *testing.B) {
			var out []byte
			b.ReportAllocs()
			for b.Loop() {
				for _, cs := range all {
					for _, c := range cs.list {
						var err error
						if out, err = enc.f(out[:0], cs.base, c); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/conn")
			b.ReportMetric(0, "ns/op")
		})
	}
}

type benchConns struct {
	base int64
	list []*pipeline.Connection
}

// collectConns keeps a capture's finished connections.
func collectConns(b *testing.B, path string) benchConns {
	r := capture.NewReader(path)
	defer r.Close()
	_, conns, _ := pipeline.RunAll(r, pipeline.Options{}, false) // corrupt.pcap ends in an error
	return benchConns{r.Stats.FirstTime, conns}
}
