package state

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
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
func runBench(b *testing.B, data []byte, opts Options) {
	var frames uint64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m0 := mallocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := capture.NewReader("-")
		r.Stdin = bytes.NewReader(data)
		res := Run(r, opts, nil)
		frames = res.Stats.Frames
	}
	perPacket(b, frames, m0)
}

// BenchmarkPipeline: read + decode + connections + state + analysis, on one
// goroutine.
func BenchmarkPipeline(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) { runBench(b, benchData(b, p), Options{Workers: -1}) })
	}
}

// BenchmarkPipelineParallel: the same with decoding and analysis on separate
// goroutines (the default on more than one CPU).
func BenchmarkPipelineParallel(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) { runBench(b, benchData(b, p), Options{}) })
	}
}

// BenchmarkPipelineReassembly: the pipeline with both directions of every
// connection reassembled (what --write-streams and the timelines add).
func BenchmarkPipelineReassembly(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) {
			runBench(b, benchData(b, p), Options{Workers: -1, Reassemble: &Reassembly{Options: flow.DefaultStreamOptions}})
		})
	}
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
				t := newTracker(Options{}, nil)
				for j := range segs {
					t.feed(&segs[j])
				}
				t.end()
			}
			perPacket(b, uint64(len(segs)), m0)
		})
	}
}
