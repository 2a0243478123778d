package pipeline

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
)

var profiles = []gen.Profile{gen.Many, gen.Bulk, gen.Lossy}

func benchData(b *testing.B, p gen.Profile) []byte {
	b.Helper()
	data, err := gen.Bytes(gen.BenchOptions[p])
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// perPacket reports the time and the allocations per packet besides the
// figures per run (a run is the whole capture).
func perPacket(b *testing.B, packets uint64, mallocs0 uint64) {
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	n := float64(uint64(b.N) * packets)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/packet")
	b.ReportMetric(float64(ms.Mallocs-mallocs0)/n, "allocs/packet")
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// runBench runs the whole pipeline (read, decode, track, analyze; no
// per-segment records, as --summary) over the capture b.N times.
func runBench(b *testing.B, data []byte, opts Options, sinks ...Sink) {
	var frames uint64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m0 := mallocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := capture.NewReader("-")
		r.Stdin = bytes.NewReader(data)
		sum, err := Run(r, opts, sinks...)
		if err != nil {
			b.Fatal(err)
		}
		frames = sum.Stats.Frames
	}
	perPacket(b, frames, m0)
}

// BenchmarkPipeline: read + decode + connections + state + analysis (no
// per-segment records, as --summary), with reading and analysis on their own
// goroutines.
func BenchmarkPipeline(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) { runBench(b, benchData(b, p), Options{}) })
	}
}

// BenchmarkPipelineReassembly: the pipeline with both directions of every
// connection reassembled (what --write-streams and the timelines add).
func BenchmarkPipelineReassembly(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) { runBench(b, benchData(b, p), Options{Reassemble: true}) })
	}
}

// BenchmarkPipelineRecords: the pipeline keeping every segment's record for
// the sinks that show them (timelines, JSON), read back once per connection.
func BenchmarkPipelineRecords(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) { runBench(b, benchData(b, p), Options{}, readRecords{}) })
	}
}

// readRecords is a RecordSink that reads every record of every connection.
type readRecords struct{}

func (readRecords) NeedsRecords() bool { return true }
func (readRecords) End(*Summary) error { return nil }
func (readRecords) Finished(c *Connection) error {
	for range c.Data.Records.All() {
	}
	return c.Data.Records.Err()
}

// BenchmarkAnalysis measures connection tracking, state and analysis alone,
// on segments decoded beforehand.
func BenchmarkAnalysis(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) {
			data := benchData(b, p)
			var segs []capture.Segment
			r := capture.NewReader("-")
			r.Stdin = bytes.NewReader(data)
			var seg capture.Segment
			for r.Next(&seg) == nil {
				seg.Payload = nil
				segs = append(segs, seg)
			}
			b.ReportAllocs()
			m0 := mallocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				opts := Options{Linger: DefaultLinger, MaxConns: DefaultMaxConns}
				out := newEmitter(nil)
				go out.deliver()
				t := newTracker(&opts, out, nil)
				for j := range segs {
					t.feed(&segs[j], nil)
				}
				t.end()
			}
			perPacket(b, uint64(len(segs)), m0)
		})
	}
}
