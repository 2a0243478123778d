package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Damage counts, for the segments one side of a connection sent, what was
// damaged or crafted rather than lost: malformed TCP options (per problem),
// the status of the IP and TCP checksums, and sequence or acknowledgment
// numbers too far beyond anything seen to be real.
type Damage struct {
	Options                 [capture.NumOptionProblems]uint32
	IPChecksum, TCPChecksum [capture.NumChecksumStatus]uint32
	// SeqJumps counts segments whose sequence number jumped too far
	// (Record.SeqJump); AckJumps counts ACKs that acknowledged too far
	// beyond anything the peer sent (Record.AckJump).
	SeqJumps, AckJumps uint32
}

// count adds a segment's options and checksums.
func (dm *Damage) count(seg *capture.Segment) {
	for p := range dm.Options {
		if seg.Opts.Bad&(1<<p) != 0 {
			dm.Options[p]++
		}
	}
	dm.IPChecksum[seg.IPChecksum]++
	dm.TCPChecksum[seg.TCPChecksum]++
}

// Any reports whether the side sent anything damaged: a malformed option, a
// wrong checksum or an impossible jump (checksums left to offload and
// unverified ones are no damage).
func (dm *Damage) Any() bool {
	for _, n := range dm.Options {
		if n > 0 {
			return true
		}
	}
	return dm.IPChecksum[capture.ChecksumBad] > 0 || dm.TCPChecksum[capture.ChecksumBad] > 0 || dm.SeqJumps > 0 || dm.AckJumps > 0
}

// The bounds of a believable jump. A forward jump in a direction's
// sequence space (a segment beyond the highest byte seen, or an ACK beyond
// it) is a hole the capture missed unless it is both more than the
// receiver could ever have let the sender have in flight and faster than
// any link since that direction last advanced: then it is a corrupt or
// crafted number. Receivers discard such segments (RFC 9293 section 3.10.7.4:
// not acceptable, outside the window), so they are kept out of the gaps
// (and Zeek's 'g'), out of the reassembled stream, and the sender's next
// sequence number does not move to them: what follows is not taken for
// retransmissions. (Wireshark moves it; the finding "previous segment not
// captured" stays, as Wireshark's.)
const (
	// maxWindow is the largest window TCP can advertise: 65535 shifted by
	// the largest window scale, 14 (RFC 7323 section 2.3).
	maxWindow = 65535 << 14
	// maxRate is 100 Gbit/s in bytes per second.
	maxRate = 100e9 / 8
)

// hole records [lo, hi) of direction d's sequence space as not captured
// (DirStats.GapBytes), unless the jump to hi cannot be real. byAck says an
// acknowledgment in the other direction showed the hole; otherwise seg
// itself starts at hi. A SYN's sequence number is an initial one, chosen
// anew: a SYN (a SYN-ACK with another ISN: ports reused) leaves no hole.
func (c *Conn) hole(d flow.Dir, lo, hi flow.Seq, seg *capture.Segment, rec *Record, byAck bool) {
	if (!byAck && seg.Flags&capture.SYN != 0) || !lo.LessThan(hi) {
		return
	}
	n := hi.Diff(lo)
	ipid := seg.IPID
	if byAck {
		ipid = 0 // the ACK's id is the other side's
	}
	if c.implausible(d, n, seg.Time) || !c.Dir[d].addHole(lo, hi, seg.Time, ipid) {
		if byAck {
			rec.AckJump = uint32(n)
			c.Damage[d.Reverse()].AckJumps++
		} else {
			rec.SeqJump = uint32(n)
			c.Damage[d].SeqJumps++
		}
	}
}

// implausible reports whether n bytes of direction d's sequence space could
// not have been sent since it last advanced, at time now (see maxWindow).
func (c *Conn) implausible(d flow.Dir, n, now int64) bool {
	win := int64(maxWindow)
	// The receiver's largest window, once its scale is known (Wireshark's
	// win_scale != -1); its window field is -1 before its first segment.
	if rcv := &c.an.dir[d.Reverse()]; rcv.window >= 0 && c.scaleKnown(d) {
		win = rcv.maxWin
	}
	elapsed := max(now-c.an.dir[d].nextSeqTime, 0)
	return n > win && float64(n) > float64(elapsed)/1e9*maxRate
}

// scaleKnown reports whether the window scale of the side that receives in
// direction d is known.
func (c *Conn) scaleKnown(d flow.Dir) bool {
	s, _ := c.EP[d.Reverse()].Scale(&c.EP[d])
	return s >= 0
}
