package sink

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// BenchmarkParquet runs the pipeline over the "many" benchmark capture into
// the Parquet tables, and into JSON lines for comparison: time and
// allocations per packet (filling a segment row allocates nothing; what
// remains is parquet-go's and the connections').
func BenchmarkParquet(b *testing.B) {
	data, err := gen.Bytes(gen.BenchOptions[gen.Many])
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"parquet", "jsonl"} {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var frames uint64
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			m0 := ms.Mallocs
			for i := 0; i < b.N; i++ {
				r := capture.NewReader("-")
				r.Stdin = bytes.NewReader(data)
				var s pipeline.Sink
				if format == "parquet" {
					if s, err = NewParquet(ParquetOptions{Dir: b.TempDir(), Run: []string{"bench"}, Inputs: []string{"-"}, Stats: &r.Stats}); err != nil {
						b.Fatal(err)
					}
				} else {
					s = NewJSONL(io.Discard, &r.Stats, report.Options{})
				}
				sum, err := pipeline.Run(r, pipeline.Options{}, s)
				if err != nil {
					b.Fatal(err)
				}
				frames = sum.Stats.Frames
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms)
			n := float64(uint64(b.N) * frames)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/packet")
			b.ReportMetric(float64(ms.Mallocs-m0)/n, "allocs/packet")
		})
	}
}
