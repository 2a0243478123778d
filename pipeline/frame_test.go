package pipeline

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
)

// frameLog is a FrameSink that notes each frame it receives.
type frameLog struct{ lines []string }

func (l *frameLog) Finished(*Connection) error { return nil }
func (l *frameLog) End(*Summary) error         { return nil }
func (l *frameLog) Frame(f *Frame) error {
	s := fmt.Sprintf("%d %d/%d seg=%v", f.Number, len(f.Data), f.WireLen, f.Segment)
	if f.Conn != nil {
		s += fmt.Sprintf(" conn=%d %v", f.Conn.ID, f.Dir)
	}
	if f.Record != nil {
		s += fmt.Sprintf(" relseq=%d", f.Record.RelSeq)
	}
	if len(f.Headers) > 0 {
		s += " " + f.Headers[len(f.Headers)-1].Kind.String()
	}
	l.lines = append(l.lines, s)
	return nil
}

func runFrames(t *testing.T, path string, opts Options) []string {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	l := &frameLog{}
	if _, err := Run(r, opts, l); err != nil {
		t.Fatal(err)
	}
	return l.lines
}

// TestFrameSink checks what FrameSinks receive: every frame in order when
// nothing is selected (ARP, UDP, ICMP, fragments included), the frames of
// the selected connections only with a selection, and only the frames
// Options.Frames names.
func TestFrameSink(t *testing.T) {
	const path = "../testdata/pcaps/non-tcp.pcap"
	all := runFrames(t, path, Options{})
	if len(all) != 20 {
		t.Fatalf("%d frames, want 20:\n%s", len(all), strings.Join(all, "\n"))
	}
	for i, l := range all {
		if !strings.HasPrefix(l, fmt.Sprint(i+1, " ")) {
			t.Errorf("frame %d delivered as %q", i+1, l)
		}
	}
	for _, want := range []string{
		"1 60/60 seg=false other",                  // ARP
		"3 75/75 seg=false UDP",                    // DNS
		"7 74/74 seg=true conn=0 c2s relseq=0 TCP", // the SYN
		"8 74/74 seg=true conn=0 s2c relseq=0 TCP", // the SYN-ACK
		"12 1514/1514 seg=false IPv4",              // first fragment, held
		"20 70/70 seg=true conn=1 c2s ICMP",        // ICMP error quoting the SYN of connection 1
	} {
		found := false
		for _, l := range all {
			found = found || l == want
		}
		if !found {
			t.Errorf("no frame delivered as %q; got:\n%s", want, strings.Join(all, "\n"))
		}
	}
	sel := runFrames(t, path, Options{Select: func(c *Connection) bool { return c.ID == 0 }})
	if len(sel) != 10 {
		t.Errorf("with connection 0 selected: %d frames, want its 10:\n%s", len(sel), strings.Join(sel, "\n"))
	}
	for _, l := range sel {
		if !strings.Contains(l, "conn=0") {
			t.Errorf("with connection 0 selected: %q", l)
		}
	}
	some := runFrames(t, path, Options{Frames: func(n uint64) bool { return n == 3 || n == 8 }})
	if got := strings.Join(some, "|"); got != "3 75/75 seg=false UDP|8 74/74 seg=true conn=0 s2c relseq=0 TCP" {
		t.Errorf("frames 3 and 8: got %s", got)
	}
}

// TestFrameSinkBytes checks that the bytes a FrameSink receives are the
// frame's, also across batches (a capture larger than one batch) and with
// reassembly copying payloads into the same arena.
func TestFrameSinkBytes(t *testing.T) {
	const path = "../testdata/pcaps/lossy.pcap"
	var want [][]byte
	r := capture.NewReader(path)
	r.AllFrames = true
	var seg capture.Segment
	for r.Next(&seg) == nil {
		want = append(want, bytes.Clone(r.Frame().Data))
	}
	r.Close()
	r = capture.NewReader(path)
	defer r.Close()
	got := &frameBytes{}
	if _, err := Run(r, Options{Reassemble: true}, got); err != nil {
		t.Fatal(err)
	}
	if len(got.data) != len(want) {
		t.Fatalf("%d frames, want %d", len(got.data), len(want))
	}
	for i := range want {
		if !bytes.Equal(got.data[i], want[i]) {
			t.Errorf("frame %d: bytes differ", i+1)
		}
	}
}

type frameBytes struct{ data [][]byte }

func (b *frameBytes) Finished(*Connection) error { return nil }
func (b *frameBytes) End(*Summary) error         { return nil }
func (b *frameBytes) Frame(f *Frame) error {
	b.data = append(b.data, bytes.Clone(f.Data))
	return nil
}
