package state

import (
	"regexp"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// fuzzSegs turns fuzz bytes into segments, 10 bytes each: direction (bit 0)
// and checksum statuses; flags; sequence and acknowledgment offsets (16-bit,
// signed) from the side's ISN, scaled by 1, 1000, 2^20 or 2^28 (a byte of
// two scales); payload length; window; options (MSS, window scale and its
// shift, timestamps, SACK-permitted, malformed); time step in ms.
func fuzzSegs(in []byte) ([]capture.Segment, []flow.Dir) {
	isn := [2]uint32{1000, 0xffff0000}
	scales := [4]uint32{1, 1000, 1 << 20, 1 << 28}
	var segs []capture.Segment
	var dirs []flow.Dir
	t := int64(1e9)
	for ; len(in) >= 10 && len(segs) < 500; in = in[10:] {
		d := flow.Dir(in[0] & 1)
		seq := isn[d] + uint32(int16(uint16(in[2])<<8|uint16(in[3])))*scales[in[6]&3]
		ack := isn[d.Reverse()] + uint32(int16(uint16(in[4])<<8|uint16(in[5])))*scales[in[6]>>2&3]
		o := capture.Options{MSS: -1, WScale: -1}
		if in[9]&1 != 0 {
			o.MSS = 1460
		}
		if in[9]&2 != 0 {
			o.WScale = int8(in[9] >> 4)
		}
		o.HasTS, o.SACKPermitted = in[9]&4 != 0, in[9]&8 != 0
		if in[6]&0x10 != 0 {
			o.Bad = 1 << (in[6] >> 5 & 3)
		}
		t += int64(in[8]) * 1e6
		seg := capture.Segment{Frame: uint64(len(segs) + 1), Time: t, Seq: seq, Ack: ack, Flags: capture.Flags(in[1]),
			Window: uint16(in[8])<<8 | uint16(in[7]), PayloadLen: int(in[7]), Opts: o,
			IPChecksum:  capture.ChecksumStatus(in[0] >> 1 % uint8(capture.NumChecksumStatus)),
			TCPChecksum: capture.ChecksumStatus(in[0] >> 4 % uint8(capture.NumChecksumStatus))}
		segs, dirs = append(segs, seg), append(dirs, d)
	}
	return segs, dirs
}

var zeekHistory = regexp.MustCompile(`^\^?[SHADFRCGTWIQshadfrcgtwiq]*$`)

// FuzzProcess runs any sequence of segments through a connection's state
// machines and analysis: no panic; every state is one of the RFC's; every
// transition changes a state and starts where that endpoint's previous one
// ended; relative numbers keep their base until a SYN sets a new one; the
// finding and damage counts are those of the records; gap bytes are never
// negative; Zeek's codes are well formed.
func FuzzProcess(f *testing.F) {
	hs := []byte{
		0, byte(S), 0, 0, 0, 0, 0, 0, 0, 0x0f, // SYN with options
		1, byte(S | A), 0, 0, 0, 1, 0, 0, 1, 0x03, // SYN-ACK
		0, byte(A), 0, 1, 0, 1, 0, 0, 1, 0, // ACK
		0, byte(P | A), 0, 1, 0, 1, 0, 100, 1, 0, // 100 bytes
		1, byte(A), 0, 1, 0, 101, 0, 0, 1, 0,
		0, byte(F | A), 0, 101, 0, 1, 0, 0, 1, 0,
		1, byte(F | A), 0, 1, 0, 102, 0, 0, 1, 0,
		0, byte(A), 0, 102, 0, 2, 0, 0, 1, 0,
	}
	f.Add(hs)
	f.Add(append(append([]byte{}, hs[:30]...), 0, byte(A), 0x10, 0, 0, 1, 3, 10, 1, 0, 1, byte(R), 0, 1, 0, 0, 0, 0, 1, 0))
	f.Add([]byte{0, byte(A), 0, 5, 0, 5, 0, 10, 1, 0, 1, byte(A), 0, 5, 0, 15, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		segs, dirs := fuzzSegs(in)
		if len(segs) == 0 {
			return
		}
		c := NewConn()
		c.Records.Keep(nil)
		var seqBase, ackBase [2]uint32
		var seqSet, ackSet [2]bool
		for i := range segs {
			seg, d := &segs[i], dirs[i]
			seg.Src, seg.Dst = cli, srv
			if d == flow.S2C {
				seg.Src, seg.Dst = srv, cli
			}
			rec := c.Process(seg, d, i == 0, false)
			syn := seg.Flags&capture.SYN != 0
			if syn {
				ackSet[d.Reverse()] = false // the peer's ACKs may count from this SYN on
			}
			if b := rec.Seq - rec.RelSeq; !syn && seqSet[d] && b != seqBase[d] {
				t.Fatalf("frame %d: relative seq counts from %d, before from %d", seg.Frame, b, seqBase[d])
			} else {
				seqBase[d], seqSet[d] = b, true
			}
			if seg.Flags&capture.ACK != 0 {
				if b := rec.Ack - rec.RelAck; ackSet[d] && b != ackBase[d] {
					t.Fatalf("frame %d: relative ack counts from %d, before from %d", seg.Frame, b, ackBase[d])
				} else {
					ackBase[d], ackSet[d] = b, true
				}
			}
		}
		c.Finish()
		last := [2]State{}
		seen := [2]bool{}
		for _, tr := range c.Transitions {
			if tr.From > TimeWait || tr.To > TimeWait || tr.From == tr.To || tr.Endpoint > flow.Server {
				t.Fatalf("transition %+v", tr)
			}
			if e := tr.Endpoint; seen[e] && tr.From != last[e] {
				t.Fatalf("frame %d: %v goes from %v, but it was %v", tr.Frame, e, tr.From, last[e])
			}
			last[tr.Endpoint], seen[tr.Endpoint] = tr.To, true
		}
		var count [2][NumAnalysis]uint32
		var checks [2]uint32
		for _, r := range c.Records.All() {
			for i := 0; i < NumAnalysis; i++ {
				if r.Analysis&(1<<i) != 0 {
					count[r.Dir][i]++
				}
			}
			checks[r.Dir]++
		}
		for d := range 2 {
			if e := c.EP[d]; e.State > TimeWait || (seen[d] && e.State != last[d]) {
				t.Fatalf("%v ends in %v, its last transition went to %v", flow.Dir(d), e.State, last[d])
			}
			if count[d] != c.Count[d] {
				t.Fatalf("%v: findings counted %v, records say %v", flow.Dir(d), c.Count[d], count[d])
			}
			var n uint32
			for _, k := range c.Damage[d].TCPChecksum {
				n += k
			}
			if n != checks[d] {
				t.Fatalf("%v: %d checksums counted for %d segments", flow.Dir(d), n, checks[d])
			}
			if c.Dir[d].GapBytes() < 0 {
				t.Fatalf("%v: %d gap bytes", flow.Dir(d), c.Dir[d].GapBytes())
			}
		}
		if _, ok := ZeekStateText[c.Zeek.ConnState()]; !ok || !zeekHistory.MatchString(c.Zeek.History()) {
			t.Fatalf("zeek %q %q", c.Zeek.ConnState(), c.Zeek.History())
		}
	})
}
