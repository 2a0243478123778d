package state

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// artSeg is a segment of the artifact tests: a scripted step with the fields
// the artifacts read.
type artSeg struct {
	dir      flow.Dir
	flags    capture.Flags
	seq, ack uint32
	len      int
	t        int64 // ns
	ipid     uint16
	sum      uint16
	mss      int32 // MSS option (SYNs), 0: none
	tcpSum   capture.ChecksumStatus
}

// playArtifacts feeds the segments to a new Conn and returns it with the
// records. Times count from 1 s: a SYN at time 0 would read as none.
func playArtifacts(t *testing.T, segs []artSeg) (*Conn, []Record) {
	t.Helper()
	c := NewConn()
	var recs []Record
	for i, s := range segs {
		seg := capture.Segment{Frame: uint64(i + 1), Time: 1e9 + s.t, Seq: s.seq, Ack: s.ack, Flags: s.flags, Window: 1000,
			PayloadLen: s.len, IPID: s.ipid, TCPSum: s.sum, TCPChecksum: s.tcpSum, Opts: capture.Options{MSS: -1, WScale: -1}}
		if s.mss != 0 {
			seg.Opts.MSS = s.mss
		}
		seg.Src, seg.Dst = cli, srv
		if s.dir == flow.S2C {
			seg.Src, seg.Dst = srv, cli
		}
		recs = append(recs, c.Process(&seg, s.dir, i == 0, false))
	}
	return c, recs
}

const ms = int64(1e6)

// TestDuplicateFrame: a frame captured twice is a DuplicateFrame of the
// first copy, whatever Wireshark's analysis calls it; a retransmission (new
// IP id) or a copy too late is not.
func TestDuplicateFrame(t *testing.T) {
	segs := []artSeg{
		{dir: c2s, flags: S, seq: 1000, t: 0, ipid: 1, sum: 0xa, mss: 1460},
		{dir: s2c, flags: S | A, seq: 5000, ack: 1001, t: 20 * ms, ipid: 0, sum: 0xb, mss: 1460},
		{dir: c2s, flags: A, seq: 1001, ack: 5001, t: 20*ms + 40e3, ipid: 2, sum: 0xc},
		{dir: s2c, flags: P | A, seq: 5001, ack: 1001, len: 100, t: 30 * ms, ipid: 7, sum: 0xd},     // 4
		{dir: s2c, flags: P | A, seq: 5001, ack: 1001, len: 100, t: 30*ms + 2e3, ipid: 7, sum: 0xd}, // 5: copy of 4
		{dir: s2c, flags: P | A, seq: 5001, ack: 1001, len: 100, t: 30*ms + 4e3, ipid: 7, sum: 0xd}, // 6: another copy of 4
		{dir: c2s, flags: A, seq: 1001, ack: 5101, t: 31 * ms, ipid: 3, sum: 0xe},                   // 7
		{dir: c2s, flags: A, seq: 1001, ack: 5101, t: 31*ms + 1e3, ipid: 3, sum: 0xe},               // 8: copy of 7
		{dir: s2c, flags: P | A, seq: 5101, ack: 1001, len: 100, t: 40 * ms, ipid: 8, sum: 0xf},     // 9
		{dir: s2c, flags: P | A, seq: 5101, ack: 1001, len: 100, t: 240 * ms, ipid: 9, sum: 0xf},    // 10: retransmission, new id
		{dir: s2c, flags: P | A, seq: 5101, ack: 1001, len: 100, t: 260 * ms, ipid: 9, sum: 0xf},    // 11: same id, 20 ms later
		{dir: c2s, flags: A, seq: 1001, ack: 5201, t: 261 * ms, ipid: 0, sum: 0x1},                  // 12
		{dir: s2c, flags: A, seq: 5201, ack: 1001, len: 100, t: 261*ms + 2e3, ipid: 10, sum: 0x2},   // 13: a server segment between
		{dir: c2s, flags: A, seq: 1001, ack: 5201, t: 261*ms + 3e3, ipid: 0, sum: 0x1},              // 14: bare ACK, id 0, after a server segment: a real dup ACK
		{dir: c2s, flags: A, seq: 1001, ack: 5201, t: 261*ms + 3e3, ipid: 0, sum: 0x1},              // 15: the same with nothing between: a copy of 14
		{dir: c2s, flags: R, seq: 1001, t: 262 * ms, ipid: 0, sum: 0x3},                             // 16
		{dir: c2s, flags: R, seq: 1001, t: 262*ms + 1e3, ipid: 0, sum: 0x3},                         // 17: the same RST, no id: no copy
	}
	c, recs := playArtifacts(t, segs)
	wantDup := map[uint64]uint64{5: 4, 6: 4, 8: 7, 15: 14}
	for _, r := range recs {
		got := r.Artifacts&DuplicateFrame != 0
		if want, ok := wantDup[r.Frame]; got != ok || r.DupOf() != want {
			t.Errorf("frame %d: duplicate %v of %d; want %v of %d", r.Frame, got, r.DupOf(), ok, want)
		}
	}
	// Wireshark's names stay: the copies are retransmissions and a duplicate ACK.
	for _, f := range []int{5, 6} {
		if recs[f-1].Analysis&Retransmission == 0 {
			t.Errorf("frame %d: analysis %v, want a retransmission as Wireshark says", f, recs[f-1].Analysis)
		}
	}
	if recs[7].Analysis&DuplicateAck == 0 {
		t.Errorf("frame 8: analysis %v, want duplicate_ack as Wireshark says", recs[7].Analysis)
	}
	s2cArt, c2sArt := c.Artifacts[flow.S2C], c.Artifacts[flow.C2S]
	if s2cArt.N[DuplicateFrame.Index()] != 2 || s2cArt.DupRetrans != 2 || c2sArt.N[DuplicateFrame.Index()] != 2 || c2sArt.DupDupAcks != 2 {
		t.Errorf("counts: server %+v, client %+v", s2cArt, c2sArt)
	}
	if got := c.Count[flow.S2C][Retransmission.Index()]; got != 4 {
		t.Errorf("server retransmissions %d, want 4 (frames 5, 6, 10, 11)", got)
	}
}

// TestFingerprintFields: frames that differ in one field only, or in two
// whose bits a plain XOR would cancel (the ACK number one higher and FIN
// set, as a FIN after a bare ACK), are different frames.
func TestFingerprintFields(t *testing.T) {
	base := capture.Segment{Seq: 526364943, Ack: 253554706, Flags: A, Window: 12719, PayloadLen: 0, TCPSum: 0xfe28, HdrLen: 32}
	k := fingerprint(&base)
	for name, edit := range map[string]func(s *capture.Segment){
		"ack+1 and FIN": func(s *capture.Segment) { s.Ack++; s.Flags |= F },
		"seq":           func(s *capture.Segment) { s.Seq++ },
		"window":        func(s *capture.Segment) { s.Window++ },
		"ip id":         func(s *capture.Segment) { s.IPID++ },
		"checksum":      func(s *capture.Segment) { s.TCPSum++ },
		"length":        func(s *capture.Segment) { s.PayloadLen++ },
		"tsval":         func(s *capture.Segment) { s.Opts.TSVal++ },
	} {
		s := base
		edit(&s)
		if fingerprint(&s) == k {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

// TestOverMSSAndOffload: a segment above the peer's MSS, and a checksum left
// to the card, are flagged; a segment at the MSS, or with no MSS known, is not.
func TestOverMSSAndOffload(t *testing.T) {
	segs := []artSeg{
		{dir: c2s, flags: S, seq: 1000, t: 0, ipid: 1, mss: 1460},
		{dir: s2c, flags: S | A, seq: 5000, ack: 1001, t: 1 * ms, ipid: 1, mss: 536},
		{dir: c2s, flags: A, seq: 1001, ack: 5001, t: 2 * ms, ipid: 2},
		{dir: c2s, flags: A, seq: 1001, ack: 5001, len: 536, t: 3 * ms, ipid: 3},                                    // at the server's MSS
		{dir: c2s, flags: A, seq: 1537, ack: 5001, len: 1072, t: 3 * ms, ipid: 4, tcpSum: capture.ChecksumUnfilled}, // TSO on the client
		{dir: s2c, flags: A, seq: 5001, ack: 2609, len: 1460, t: 4 * ms, ipid: 2},                                   // at the client's MSS
		{dir: s2c, flags: A, seq: 6461, ack: 2609, len: 2920, t: 4 * ms, ipid: 3},                                   // GRO on the client
	}
	c, recs := playArtifacts(t, segs)
	want := map[uint64]Artifact{5: OverMSS | ChecksumOffload, 7: OverMSS}
	for _, r := range recs {
		if r.Artifacts != want[r.Frame] {
			t.Errorf("frame %d: artifacts %b, want %b", r.Frame, r.Artifacts, want[r.Frame])
		}
	}
	if got := c.Artifacts[flow.C2S].N; got != [NumArtifacts]uint32{0, 1, 1} {
		t.Errorf("client counts %v", got)
	}
	// Without the peer's SYN, no MSS is known: nothing is over it.
	_, recs = playArtifacts(t, []artSeg{{dir: c2s, flags: A, seq: 1, ack: 1, len: 9000, t: 0, ipid: 1}})
	if recs[0].Artifacts != 0 {
		t.Errorf("mid-stream 9000 bytes: artifacts %b, want none", recs[0].Artifacts)
	}
}

// TestCapturePoint checks the handshake rule on each side of its threshold.
func TestCapturePoint(t *testing.T) {
	hs := func(synAck, ack int64) []artSeg {
		return []artSeg{
			{dir: c2s, flags: S, seq: 1000, t: 0, ipid: 1},
			{dir: s2c, flags: S | A, seq: 5000, ack: 1001, t: synAck, ipid: 1},
			{dir: c2s, flags: A, seq: 1001, ack: 5001, t: synAck + ack, ipid: 2},
		}
	}
	for _, tc := range []struct {
		name        string
		segs        []artSeg
		want        CapturePoint
		wantRTT     int64
		wantSynAckS int64
	}{
		{"at the client", hs(20*ms, 40e3), NearClient, 20*ms + 40e3, 20 * ms},
		{"at the server", hs(50e3, 20*ms), NearServer, 20*ms + 50e3, 50e3},
		{"a tenth from the client", hs(9*ms, 1*ms), NearClient, 10 * ms, 9 * ms},
		{"just past a tenth", hs(8*ms, 2*ms), InBetween, 10 * ms, 8 * ms},
		{"halfway", hs(5*ms, 5*ms), InBetween, 10 * ms, 5 * ms},
		{"same timestamps", hs(0, 0), PointUnknown, 0, 0},
		{"retransmitted SYN-ACK", append(hs(20*ms, 0)[:2],
			artSeg{dir: s2c, flags: S | A, seq: 5000, ack: 1001, t: 1020 * ms, ipid: 2},
			artSeg{dir: c2s, flags: A, seq: 1001, ack: 5001, t: 1020*ms + 40e3, ipid: 2}), PointUnknown, 1020*ms + 40e3, 20 * ms},
		{"no handshake", []artSeg{{dir: c2s, flags: A, seq: 1, ack: 1, len: 10, ipid: 1}}, PointUnknown, -1, -1},
	} {
		c, _ := playArtifacts(t, tc.segs)
		if got := c.HandshakePoint(); got != tc.want || c.HandshakeRTT != tc.wantRTT || c.SynAckRTT != tc.wantSynAckS {
			t.Errorf("%s: %v (handshake %d, SYN-ACK %d); want %v (%d, %d)", tc.name, got, c.HandshakeRTT, c.SynAckRTT,
				tc.want, tc.wantRTT, tc.wantSynAckS)
		}
	}
}

// TestCapturePointSameHost: between addresses of one host the capture is at
// both ends, whatever the handshake's timing says.
func TestCapturePointSameHost(t *testing.T) {
	c, _ := playArtifacts(t, []artSeg{
		{dir: c2s, flags: S, seq: 1000, ipid: 1},
		{dir: s2c, flags: S | A, seq: 5000, ack: 1001, t: 15e3, ipid: 1},
		{dir: c2s, flags: A, seq: 1001, ack: 5001, t: 27e3, ipid: 2},
	})
	for _, tc := range []struct {
		client, server string
		want           CapturePoint
	}{
		{"127.0.0.1:40000", "127.0.0.1:80", SameHost},
		{"[::1]:40000", "[::1]:80", SameHost},
		{"192.0.2.1:40000", "192.0.2.1:80", SameHost},
		{"192.0.2.1:40000", "198.51.100.1:80", InBetween},
	} {
		conn := &Connection{Data: c, Client: netip.MustParseAddrPort(tc.client), Server: netip.MustParseAddrPort(tc.server)}
		if got := WhereCaptured(conn); got != tc.want {
			t.Errorf("%s to %s: %v, want %v", tc.client, tc.server, got, tc.want)
		}
	}
}

// TestRecordSize: the artifacts live in the record's padding.
func TestRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(Record{}); n != 256 {
		t.Errorf("Record is %d bytes, want 256", n)
	}
}

func TestArtifactNames(t *testing.T) {
	for i, a := range AllArtifacts() {
		if a.Index() != i || a.Name() == "unknown" {
			t.Errorf("artifact %d: index %d, name %q", i, a.Index(), a.Name())
		}
	}
	for p := PointUnknown; p <= SameHost; p++ {
		if p.String() == "" || p.Text() == "" {
			t.Errorf("capture point %d has no name", p)
		}
	}
}

// BenchmarkArtifacts: the artifact test on a segment allocates nothing.
func BenchmarkArtifacts(b *testing.B) {
	c := NewConn()
	seg := capture.Segment{Frame: 1, Seq: 1, Ack: 1, Flags: A, PayloadLen: 100, IPID: 1, Opts: capture.Options{MSS: -1, WScale: -1}}
	b.ReportAllocs()
	for i := range b.N {
		seg.Frame, seg.Time, seg.IPID = uint64(i+1), int64(i)*1e3, uint16(i)
		var rec Record
		c.artifacts(&seg, flow.C2S, &rec)
	}
}
