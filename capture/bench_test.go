package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tcpflow/tcpflow/capture/filter"
	"github.com/tcpflow/tcpflow/internal/gen"
)

// BenchmarkReader measures reading and decoding alone: pcap records to
// Segments, per packet and per byte; the "filtered" runs add a capture
// filter that keeps every TCP frame but must run its whole program.
func BenchmarkReader(b *testing.B) {
	for _, p := range []gen.Profile{gen.Many, gen.Bulk} {
		for _, expr := range []string{"", "tcp and not port 1 and not host 192.0.2.99"} {
			name := string(p)
			if expr != "" {
				name += "/filtered"
			}
			benchReader(b, name, p, expr)
		}
	}
}

func benchReader(b *testing.B, name string, p gen.Profile, expr string) {
	var f *filter.Filter
	if expr != "" {
		var err error
		if f, err = filter.Compile(expr); err != nil {
			b.Fatal(err)
		}
	}
	{
		b.Run(name, func(b *testing.B) {
			data, err := gen.Bytes(gen.BenchOptions[p])
			if err != nil {
				b.Fatal(err)
			}
			var frames uint64
			m0 := mallocs()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := NewReader("-")
				r.Stdin = bytes.NewReader(data)
				r.Filter = f
				var seg Segment
				for r.Next(&seg) == nil {
				}
				frames = r.Stats.Frames
			}
			perPacket(b, frames, m0)
		})
	}
}

// BenchmarkReaderTunnels reads testdata/pcaps/tunnels.pcap: frames carried in
// every encapsulation tcpflow decodes, so the per-packet cost and allocations
// of the tunnel parsers show (the one IPv4 fragment in it is copied for
// reassembly; nothing else allocates).
func BenchmarkReaderTunnels(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(testdata, "tunnels.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var frames uint64
	for i := 0; i < b.N; i++ {
		r := NewReader("-")
		r.Stdin = bytes.NewReader(data)
		var seg Segment
		for r.Next(&seg) == nil {
		}
		frames = r.Stats.Frames
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*frames), "ns/packet")
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// perPacket reports the time and the allocations per packet (frames per
// run) since mallocs returned m0.
func perPacket(b *testing.B, frames, m0 uint64) {
	b.StopTimer()
	n := float64(uint64(b.N) * frames)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/packet")
	b.ReportMetric(float64(mallocs()-m0)/n, "allocs/packet")
}
