package stream

import (
	"crypto/sha256"
	"net/netip"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// collect is a StreamSink that keeps what it is given.
type collect struct {
	data [2][]byte
	gaps [2][]Gap
}

func (c *collect) Data(_ int, d flow.Dir, off int64, b []byte, frame uint64, _ int64) {
	if int64(len(c.data[d])) != off-c.gapBytes(d) {
		panic("data not contiguous with the offsets given")
	}
	c.data[d] = append(c.data[d], b...)
}

func (c *collect) Gap(_ int, d flow.Dir, off, n int64, frame uint64, kind GapKind) {
	c.gaps[d] = append(c.gaps[d], Gap{off, n, frame, kind})
}

func (c *collect) gapBytes(d flow.Dir) int64 {
	var n int64
	for _, g := range c.gaps[d] {
		n += g.Size
	}
	return n
}

var (
	cliAP = netip.MustParseAddrPort("10.0.0.1:40000")
	srvAP = netip.MustParseAddrPort("10.0.0.2:80")
)

// seg is one scripted segment: direction, flags, sequence number and payload.
type sseg struct {
	d     flow.Dir
	flags capture.Flags
	seq   uint32
	data  string
}

const (
	syn = capture.SYN
	ack = capture.ACK
	fin = capture.FIN
	rst = capture.RST
)

func feed(t *testing.T, segs []sseg) (*Streams, *collect) {
	t.Helper()
	sink := &collect{}
	s := NewReassembler(sink, DefaultOptions).NewStreams(7)
	for i, x := range segs {
		c := capture.Segment{Frame: uint64(i + 1), Time: int64(i+1) * 1e6, Seq: x.seq, Flags: x.flags | ack,
			Payload: []byte(x.data), PayloadLen: len(x.data), Src: cliAP, Dst: srvAP}
		if x.flags&syn != 0 && x.d == flow.C2S {
			c.Flags = syn
		}
		if x.d == flow.S2C {
			c.Src, c.Dst = srvAP, cliAP
		}
		s.Feed(&c, x.d)
	}
	s.Close()
	return s, sink
}

func TestStreams(t *testing.T) {
	const cISN, sISN = 1000, 5000
	open := []sseg{{flow.C2S, syn, cISN, ""}, {flow.S2C, syn, sISN, ""}}
	tests := []struct {
		name       string
		segs       []sseg
		c2s, s2c   string
		gaps       int64 // bytes missing client to server
		overlaps   int   // differing overlaps client to server
		retransmit int64
	}{
		{"in order", append(open, sseg{flow.C2S, 0, cISN + 1, "hello "}, sseg{flow.C2S, 0, cISN + 7, "world"}, sseg{flow.S2C, 0, sISN + 1, "ok"}),
			"hello world", "ok", 0, 0, 0},
		{"out of order", append(open, sseg{flow.C2S, 0, cISN + 7, "world"}, sseg{flow.C2S, 0, cISN + 1, "hello "}),
			"hello world", "", 0, 0, 0},
		{"retransmission, same bytes", append(open, sseg{flow.C2S, 0, cISN + 1, "hello "}, sseg{flow.C2S, 0, cISN + 1, "hello "}, sseg{flow.C2S, 0, cISN + 7, "world"}),
			"hello world", "", 0, 0, 6},
		{"overlap with different bytes", append(open, sseg{flow.C2S, 0, cISN + 1, "hello "}, sseg{flow.C2S, 0, cISN + 4, "XYZ"}, sseg{flow.C2S, 0, cISN + 7, "world"}),
			"hello world", "", 0, 1, 3},
		{"partial overlap extends", append(open, sseg{flow.C2S, 0, cISN + 1, "hello"}, sseg{flow.C2S, 0, cISN + 4, "lo world"}),
			"hello world", "", 0, 0, 2},
		{"gap never filled", append(open, sseg{flow.C2S, 0, cISN + 1, "hello "}, sseg{flow.C2S, 0, cISN + 12, "again"}),
			"hello again", "", 5, 0, 0},
		{"mid-stream start", []sseg{{flow.C2S, 0, 77, "abc"}, {flow.S2C, 0, 99, "xyz"}, {flow.C2S, 0, 80, "def"}},
			"abcdef", "xyz", 0, 0, 0},
		{"sequence wrap", []sseg{{flow.C2S, syn, 0xfffffffd, ""}, {flow.C2S, 0, 0xfffffffe, "ab"}, {flow.C2S, 0, 0, "cd"}, {flow.C2S, 0, 2, "ef"}},
			"abcdef", "", 0, 0, 0},
		{"FIN then late data", append(open, sseg{flow.C2S, 0, cISN + 7, "world"}, sseg{flow.C2S, fin, cISN + 12, ""}, sseg{flow.C2S, 0, cISN + 1, "hello "}),
			"hello world", "", 0, 0, 0},
		{"RST ends the stream", append(open, sseg{flow.C2S, 0, cISN + 1, "hello"}, sseg{flow.S2C, rst, sISN + 1, ""}, sseg{flow.S2C, 0, sISN + 1, "late"}),
			"hello", "", 0, 0, 0}, // data after its own RST is not part of the server's stream
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, sink := feed(t, tt.segs)
			if got := string(sink.data[flow.C2S]); got != tt.c2s {
				t.Errorf("client bytes %q, want %q", got, tt.c2s)
			}
			if got := string(sink.data[flow.S2C]); got != tt.s2c {
				t.Errorf("server bytes %q, want %q", got, tt.s2c)
			}
			f := &s.Facts[flow.C2S]
			if f.GapBytes != tt.gaps || sink.gapBytes(flow.C2S) != tt.gaps {
				t.Errorf("gap bytes %d (sink %d), want %d", f.GapBytes, sink.gapBytes(flow.C2S), tt.gaps)
			}
			if f.OverlapCount != tt.overlaps {
				t.Errorf("differing overlaps %d, want %d (%+v)", f.OverlapCount, tt.overlaps, f.Overlaps)
			}
			if f.Retransmitted != tt.retransmit {
				t.Errorf("retransmitted %d, want %d", f.Retransmitted, tt.retransmit)
			}
			if want := sha256.Sum256(sink.data[flow.C2S]); f.SHA256 != want {
				t.Errorf("sha256 is not that of the delivered bytes")
			}
			if f.Bytes != int64(len(tt.c2s)) {
				t.Errorf("bytes %d, want %d", f.Bytes, len(tt.c2s))
			}
		})
	}
}

// TestStreamGapRecorded checks where a gap is placed and which frame follows it.
func TestStreamGapRecorded(t *testing.T) {
	s, _ := feed(t, []sseg{{flow.C2S, syn, 0, ""}, {flow.C2S, 0, 1, "aaaa"}, {flow.C2S, 0, 9, "cccc"}})
	g := s.Facts[flow.C2S].Gaps
	if len(g) != 1 || g[0] != (Gap{Offset: 4, Size: 4, Frame: 3}) {
		t.Errorf("gaps %+v, want one of 4 bytes at offset 4 before frame 3", g)
	}
}

// TestStreamAckedUnseen checks that bytes the peer acknowledged but the
// capture never showed count as a gap at the end.
func TestStreamAckedUnseen(t *testing.T) {
	sink := &collect{}
	s := NewReassembler(sink, DefaultOptions).NewStreams(1)
	segs := []capture.Segment{
		{Frame: 1, Seq: 100, Flags: syn, Src: cliAP, Dst: srvAP},
		{Frame: 2, Seq: 101, Flags: ack, Payload: []byte("abc"), PayloadLen: 3, Src: cliAP, Dst: srvAP},
		{Frame: 3, Seq: 500, Ack: 111, Flags: ack, Src: srvAP, Dst: cliAP},
	}
	for i := range segs {
		d := flow.C2S
		if segs[i].Src == srvAP {
			d = flow.S2C
		}
		s.Feed(&segs[i], d)
	}
	s.Close()
	if got := s.Facts[flow.C2S].GapBytes; got != 7 {
		t.Errorf("gap bytes %d, want 7 (acked up to 111, delivered to 104)", got)
	}
}

// TestDirections: gopacket numbers a connection's directions from the first
// segment it sees, and so must Streams, also when that is not the first
// segment fed (a RST before any data is not fed on, SYNs are held) and when
// every capture time is 0 (a synthetic capture: suricata-verify's
// multi_mac.pcap delivered the server's bytes as the client's).
func TestDirections(t *testing.T) {
	const cISN, sISN = 1000, 5000
	for _, tc := range []struct {
		name string
		segs []sseg
	}{
		{"times 0", []sseg{{flow.C2S, syn, cISN, ""}, {flow.S2C, syn, sISN, ""}, {flow.S2C, 0, sISN + 1, "data"}, {flow.C2S, 0, cISN + 1, "ok"}}},
		{"a RST first", []sseg{{flow.S2C, rst, sISN, ""}, {flow.C2S, syn, cISN, ""}, {flow.S2C, syn, sISN, ""}, {flow.S2C, 0, sISN + 1, "data"}, {flow.C2S, 0, cISN + 1, "ok"}}},
		{"mid-stream, the server first", []sseg{{flow.S2C, 0, sISN + 1, "data"}, {flow.C2S, 0, cISN + 1, "ok"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &collect{}
			s := NewReassembler(sink, DefaultOptions).NewStreams(7)
			for i, x := range tc.segs {
				c := capture.Segment{Frame: uint64(i + 1), Seq: x.seq, Flags: x.flags | ack, Payload: []byte(x.data), PayloadLen: len(x.data)}
				if x.flags&syn != 0 && x.d == flow.C2S {
					c.Flags = syn
				}
				if tc.name != "times 0" {
					c.Time = int64(i+1) * 1e6
				}
				s.Feed(&c, x.d)
			}
			s.Close()
			if c, srv := string(sink.data[flow.C2S]), string(sink.data[flow.S2C]); c != "ok" || srv != "data" {
				t.Errorf("client %q, server %q; want ok, data", c, srv)
			}
		})
	}
}

// TestHeldSYNs: a connection of bare SYNs never reaches gopacket, and ends
// as one that did would: no byte, no gap, the hash of nothing; once it
// carries more, the SYNs are handed over first, in order.
func TestHeldSYNs(t *testing.T) {
	const cISN, sISN = 1000, 5000
	s, sink := feed(t, []sseg{{flow.C2S, syn, cISN, ""}, {flow.C2S, syn, cISN, ""}, {flow.S2C, syn, sISN, ""}})
	if s.fed || len(sink.data[0])+len(sink.data[1])+len(sink.gaps[0])+len(sink.gaps[1]) > 0 {
		t.Errorf("fed %v, delivered %q %q, gaps %v %v", s.fed, sink.data[0], sink.data[1], sink.gaps[0], sink.gaps[1])
	}
	for d := range s.Facts {
		if f := &s.Facts[d]; f.Bytes != 0 || f.GapBytes != 0 || f.SHA256 != sha256.Sum256(nil) {
			t.Errorf("%v: %+v", flow.Dir(d), f)
		}
	}
	// More SYNs than are held, then data after a gap: the first byte's
	// offset still counts from the ISN, so the gap is seen.
	segs := []sseg{{flow.C2S, syn, cISN, ""}}
	for range maxHeld {
		segs = append(segs, sseg{flow.S2C, syn, sISN, ""})
	}
	s, sink = feed(t, append(segs, sseg{flow.C2S, 0, cISN + 4, "late"}, sseg{flow.S2C, 0, sISN + 1, "ok"}))
	if got := string(sink.data[flow.C2S]); got != "late" || s.Facts[flow.C2S].GapBytes != 3 || string(sink.data[flow.S2C]) != "ok" {
		t.Errorf("client %q with %d gap bytes, server %q; want late after 3, ok", got, s.Facts[flow.C2S].GapBytes, sink.data[flow.S2C])
	}
}
