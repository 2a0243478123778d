package pipeline

import (
	"errors"
	"os"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
)

// quietPipe gives the first n bytes of data, then, like a pipe whose writer
// is still there but quiet, waits for stop and fails.
type quietPipe struct {
	data []byte
	n    int
	stop chan struct{}
}

func (q *quietPipe) Read(p []byte) (int, error) {
	if q.n > 0 {
		k := copy(p, q.data[:min(q.n, len(p))])
		q.data, q.n = q.data[k:], q.n-k
		return k, nil
	}
	close(q.stop) // the signal comes while the read is blocked
	return 0, errors.New("read cut off by the stop")
}

// TestStopDuringBlockedRead checks that a read the stop cuts off ends the run
// as an interruption, with every frame before it analyzed, not as a fault of
// the input.
func TestStopDuringBlockedRead(t *testing.T) {
	data, err := os.ReadFile("../testdata/pcaps/textbook.pcap")
	if err != nil {
		t.Fatal(err)
	}
	const frames = 4 // whole records in the bytes given before the stop
	n := 24
	for i := 0; i < frames; i++ {
		n += 16 + int(uint32(data[n+8])|uint32(data[n+9])<<8|uint32(data[n+10])<<16|uint32(data[n+11])<<24)
	}
	stop := make(chan struct{})
	r := capture.NewReader("-")
	r.Stdin = &quietPipe{data: data, n: n + 10, stop: stop}
	sum, _, err := RunAll(r, Options{Stop: stop}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || len(sum.Errors) != 0 || sum.Stats.Frames != frames || sum.Inputs[0].Err != nil {
		t.Errorf("interrupted %v, errors %v, %d frames, input error %v; want interrupted, no errors, %d frames",
			sum.Interrupted, sum.Errors, sum.Stats.Frames, sum.Inputs[0].Err, frames)
	}
}
