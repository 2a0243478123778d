package gen

import (
	"bytes"
	"sync"
)

var (
	cacheMu sync.Mutex
	cache   = map[Options][]byte{}
)

// Bytes returns the capture for o, generated once per process: benchmarks of
// several packages and sub-benchmarks share it.
func Bytes(o Options) ([]byte, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cache[o]; ok {
		return b, nil
	}
	var buf bytes.Buffer
	if _, err := Write(&buf, o); err != nil {
		return nil, err
	}
	cache[o] = buf.Bytes()
	return cache[o], nil
}

// BenchOptions are the small captures the benchmarks run on (a few MB each,
// so that CI can run every benchmark once); docs/PERFORMANCE.md uses the
// same profiles at full size through tools/gen.
var BenchOptions = map[Profile]Options{
	Many:  {Profile: Many, Packets: 60000, Seed: 1},
	Bulk:  {Profile: Bulk, Packets: 20000, Seed: 1},
	Lossy: {Profile: Lossy, Packets: 40000, Seed: 1},
}
