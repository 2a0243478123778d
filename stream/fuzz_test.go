package stream

import (
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// FuzzReassemble feeds a connection whose segments come in any order, with
// any overlaps, repeats and holes, and acknowledgments of any size, and
// checks the accounting of every direction: the bytes delivered and the
// gap bytes add up to the stream's extent (the furthest byte a segment
// carried or the peer acknowledged), and the sink saw exactly those bytes
// and gaps at contiguous offsets (collect panics otherwise).
//
// Each 5 bytes of input are one segment: direction and kind (data or a bare
// ACK), a 16-bit offset from the direction's first byte, and a length up
// to 255 (for an ACK, the 16-bit offset it acknowledges). Payload bytes are
// a function of their stream offset, so overlaps never differ.
func FuzzReassemble(f *testing.F) {
	f.Add([]byte{0, 0, 0, 10, 0, 1, 0, 10, 10, 0})                  // in order
	f.Add([]byte{0, 0, 20, 10, 0, 0, 0, 0, 20, 0})                  // reordered
	f.Add([]byte{0, 0, 0, 10, 0, 0, 0, 50, 10, 0, 3, 0, 100, 0, 0}) // hole, then an ACK beyond
	f.Add([]byte{1, 0, 0, 200, 0, 1, 0, 100, 200, 0, 1, 0, 50, 20, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		in = in[:min(len(in), 5*2000)]      // 2000 segments are plenty
		const cISN, sISN = 1000, 0xfffffff0 // the server's numbers wrap
		isn := [2]uint32{cISN, sISN}
		sink := &collect{}
		s := NewReassembler(sink, DefaultOptions).NewStreams(1)
		var extent [2]int64
		frame := uint64(0)
		send := func(d flow.Dir, flags capture.Flags, seq, ack uint32, payload []byte) {
			frame++
			seg := capture.Segment{Frame: frame, Time: int64(frame) * 1e6, Seq: seq, Ack: ack, Flags: flags,
				Payload: payload, PayloadLen: len(payload), Src: cliAP, Dst: srvAP}
			if d == flow.S2C {
				seg.Src, seg.Dst = srvAP, cliAP
			}
			s.Feed(&seg, d)
		}
		send(flow.C2S, syn, cISN, 0, nil)
		send(flow.S2C, syn|ack, sISN, cISN+1, nil)
		for ; len(in) >= 5; in = in[5:] {
			d := flow.Dir(in[0] & 1)
			off := int64(in[1])<<8 | int64(in[2])
			n := int(in[3])
			base := isn[d] + 1
			if in[0]&2 != 0 {
				// A bare ACK from the peer of d, acknowledging up to off+n.
				to := off + int64(n)
				send(d.Reverse(), ack, isn[d.Reverse()]+1, base+uint32(to), nil)
				extent[d] = max(extent[d], to)
				continue
			}
			payload := make([]byte, n)
			for i := range payload {
				payload[i] = byte(off + int64(i))
			}
			send(d, ack, base+uint32(off), isn[d.Reverse()]+1, payload)
			if n > 0 {
				extent[d] = max(extent[d], off+int64(n))
			}
		}
		s.Close()
		for d := range 2 {
			f := &s.Facts[d]
			if f.Bytes+f.GapBytes != extent[d] {
				t.Fatalf("%v: %d bytes delivered + %d gap bytes != extent %d", flow.Dir(d), f.Bytes, f.GapBytes, extent[d])
			}
			if int64(len(sink.data[d])) != f.Bytes || sink.gapBytes(flow.Dir(d)) != f.GapBytes {
				t.Fatalf("%v: the sink saw %d bytes and %d gap bytes, the facts say %d and %d",
					flow.Dir(d), len(sink.data[d]), sink.gapBytes(flow.Dir(d)), f.Bytes, f.GapBytes)
			}
			// Every byte delivered is the one sent at its offset.
			off := int64(0)
			data := sink.data[d]
			for _, g := range sink.gaps[d] {
				for ; off < g.Offset; off++ {
					if data[0] != byte(off) {
						t.Fatalf("%v: byte at offset %d is %d", flow.Dir(d), off, data[0])
					}
					data = data[1:]
				}
				off += g.Size
			}
			for ; len(data) > 0; off++ {
				if data[0] != byte(off) {
					t.Fatalf("%v: byte at offset %d is %d", flow.Dir(d), off, data[0])
				}
				data = data[1:]
			}
		}
	})
}
