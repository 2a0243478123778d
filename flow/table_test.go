package flow

import (
	"net/netip"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
)

func seg(frame uint64, src, dst string, flags capture.Flags, seq uint32) *capture.Segment {
	return &capture.Segment{Frame: frame, Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst), Flags: flags, Seq: seq}
}

const (
	S = capture.SYN
	A = capture.ACK
	F = capture.FIN
	R = capture.RST
)

func TestKey(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.1:40000")
	k1, aFirst := KeyOf(a, b)
	k2, bFirst := KeyOf(b, a)
	if k1 != k2 || aFirst == bFirst {
		t.Errorf("KeyOf is not symmetric: %v %v", k1, k2)
	}
	if k1.A != b {
		t.Errorf("key.A = %v, want the lower address %v", k1.A, b)
	}
}

// TestNumbering checks ids in order of first frame, port reuse and retransmitted
// SYNs, as Wireshark assigns tcp.stream.
func TestNumbering(t *testing.T) {
	tbl := NewTable[int]()
	steps := []struct {
		s      *capture.Segment
		id     int
		isNew  bool
		reused bool
	}{
		{seg(1, "10.0.0.1:40000", "10.0.0.2:80", S, 100), 0, true, false},
		{seg(2, "10.0.0.1:40000", "10.0.0.2:80", S, 100), 0, false, false}, // retransmitted SYN
		{seg(3, "10.0.0.2:80", "10.0.0.1:40000", S|A, 500), 0, false, false},
		{seg(4, "10.0.0.3:5000", "10.0.0.2:80", A, 7), 1, true, false}, // another 4-tuple, mid-stream
		{seg(5, "10.0.0.1:40000", "10.0.0.2:80", F|A, 101), 0, false, false},
		{seg(6, "10.0.0.2:80", "10.0.0.1:40000", F|A, 501), 0, false, false},
		{seg(7, "10.0.0.1:40000", "10.0.0.2:80", S, 9000), 2, true, true}, // new ISN: port reuse
		{seg(8, "10.0.0.2:80", "10.0.0.1:40000", S|A, 7000), 2, false, false},
		{seg(9, "10.0.0.3:5000", "10.0.0.2:80", R, 8), 1, false, false},
		{seg(10, "10.0.0.3:5000", "10.0.0.2:80", S, 1), 3, true, true}, // closed by RST, then a SYN
		// A split handshake: the server ACKs the SYN, then sends its own SYN
		// with another ISN than its ACK showed (base 1999): a new session.
		{seg(11, "10.0.0.4:1000", "10.0.0.2:80", S, 1000), 4, true, false},
		{seg(12, "10.0.0.2:80", "10.0.0.4:1000", A, 2000), 4, false, false},
		{seg(13, "10.0.0.2:80", "10.0.0.4:1000", S, 3000), 5, true, true},
		{seg(14, "10.0.0.4:1000", "10.0.0.2:80", S|A, 1000), 5, false, false},
		// A SYN from the side that has not sent yet, after the connection
		// closed, stays in it (simultaneous open on a closed 4-tuple).
		{seg(15, "10.0.0.5:1000", "10.0.0.2:80", S, 1000), 6, true, false},
		{seg(16, "10.0.0.2:80", "10.0.0.5:1000", R|A, 0), 6, false, false},
		{seg(17, "10.0.0.5:1000", "10.0.0.2:80", S, 1000), 6, false, false}, // the SYN sent again
		{seg(18, "10.0.0.5:1000", "10.0.0.2:80", S, 7000), 7, true, true},
	}
	for _, st := range steps {
		r := tbl.Lookup(st.s)
		if r.Conn.ID != st.id || r.New != st.isNew || r.Reused != st.reused {
			t.Errorf("frame %d: id %d new %v reused %v, want %d %v %v", st.s.Frame, r.Conn.ID, r.New, r.Reused, st.id, st.isNew, st.reused)
		}
	}
	if tbl.Count() != 8 {
		t.Errorf("%d connections, want 8", tbl.Count())
	}
}

func TestClient(t *testing.T) {
	tests := []struct {
		s         *capture.Segment
		client    string
		midStream bool
	}{
		{seg(1, "10.0.0.1:40000", "10.0.0.2:80", S, 1), "10.0.0.1:40000", false},
		{seg(1, "10.0.0.2:80", "10.0.0.1:40000", S|A, 1), "10.0.0.1:40000", false}, // SYN-ACK first: its receiver
		{seg(1, "10.0.0.2:80", "10.0.0.1:40000", A, 1), "10.0.0.1:40000", true},    // well-known port is the server
		{seg(1, "10.0.0.2:8080", "10.0.0.1:40000", A, 1), "10.0.0.1:40000", true},  // higher port is the client
		{seg(1, "10.0.0.2:5000", "10.0.0.1:5000", A, 1), "10.0.0.2:5000", true},    // tie: the sender
	}
	for _, tt := range tests {
		r := NewTable[int]().Lookup(tt.s)
		if r.Conn.Client.String() != tt.client || r.Conn.MidStream != tt.midStream {
			t.Errorf("%v -> %v %s: client %v mid-stream %v, want %s %v", tt.s.Src, tt.s.Dst, tt.s.Flags, r.Conn.Client, r.Conn.MidStream, tt.client, tt.midStream)
		}
	}
}

// TestQuoted checks that an ICMP-quoted header takes an id for a new 4-tuple and
// that the first real segment then starts the connection.
func TestQuoted(t *testing.T) {
	tbl := NewTable[int]()
	q := seg(1, "10.0.0.1:40000", "10.0.0.2:80", 0, 5)
	q.Quoted = true
	// Only 8 bytes of header quoted: Wireshark numbers nothing, nor do we.
	if r := tbl.LookupQuoted(q); r.Conn != nil {
		t.Fatalf("a partial quote created connection %d", r.Conn.ID)
	}
	q.QuotedFull = true
	if r := tbl.LookupQuoted(q); r.Conn.ID != 0 || !r.New {
		t.Fatalf("quoted: id %d new %v", r.Conn.ID, r.New)
	}
	r := tbl.Lookup(seg(2, "10.0.0.2:80", "10.0.0.1:40000", A, 9))
	if r.Conn.ID != 0 || !r.New || r.Conn.Packets != [2]uint64{0, 1} {
		t.Errorf("first segment after the ICMP error: id %d new %v packets %v", r.Conn.ID, r.New, r.Conn.Packets)
	}
}
