package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Capture artifacts: what a segment or a connection looks like because of
// where and how it was captured, not because of what the network did.
// Wireshark's analysis does not know them: it calls the second copy of a
// frame captured twice a retransmission (or a duplicate ACK). The findings
// keep Wireshark's names (Record.Analysis); these facts stand beside them so
// that a report can say "captured twice, not loss".

// Artifact is a set of capture artifacts of one segment (Record.Artifacts).
type Artifact uint8

// The capture artifacts of a segment.
const (
	// DuplicateFrame: the same frame captured again (Record.DupOf): the
	// same IP id, TCP header fields, payload length and TCP checksum as a
	// frame of the same direction captured less than DupWindow before. A
	// span port that sees a frame on two ports, or a capture on both sides
	// of a router, writes each frame twice.
	DuplicateFrame Artifact = 1 << iota
	// OverMSS: more payload than the MSS the peer advertised in its SYN.
	// No such segment crosses the network: the capture was taken on the
	// sending host before TCP segmentation offload cut it, or on the
	// receiving host after GRO/LRO merged several.
	OverMSS
	// ChecksumOffload: the TCP (or IPv4) checksum was left for the network
	// card to fill in (capture.ChecksumUnfilled): the capture was taken on
	// the sending host.
	ChecksumOffload

	// NumArtifacts is the number of artifact kinds.
	NumArtifacts = iota
)

var artifactNames = [NumArtifacts]string{"duplicate_frame", "over_mss", "checksum_offload"}

// Name is the artifact's name in JSON, e.g. "duplicate_frame".
func (a Artifact) Name() string {
	for i := range NumArtifacts {
		if a == 1<<i {
			return artifactNames[i]
		}
	}
	return "unknown"
}

// Index is the position of a single artifact kind in ArtifactCount.N.
func (a Artifact) Index() int {
	for i := range NumArtifacts {
		if a == 1<<i {
			return i
		}
	}
	return -1
}

// AllArtifacts lists the artifact kinds in report order.
func AllArtifacts() [NumArtifacts]Artifact {
	return [NumArtifacts]Artifact{DuplicateFrame, OverMSS, ChecksumOffload}
}

// DupWindow is how far apart two copies of one frame can be captured. The
// copies of a span port or of two taps on both sides of a router are
// microseconds apart (a switch or router forwards within that); 10 ms leaves
// room for a busy router and for the clocks of two merged capture
// interfaces, and stays below anything a sender retransmits after: Linux's
// shortest retransmission timeout is 200 ms, and a fast retransmission
// waits for three duplicate ACKs, a round trip. A retransmission carries
// another IPv4 id besides (see artifactTrack.seen).
const DupWindow = 10e6 // ns

// dupSlots is how many recent frames of each direction a duplicate is looked
// for among: the copies of one frame come together, or a few frames apart
// when two capture interfaces are merged.
const dupSlots = 4

// recentFrame is a frame a later copy may repeat: a fingerprint of what a
// copy has in common with it (fingerprint), when it was captured, the low 32
// bits of the first copy's frame number (a copy comes within DupWindow, far
// fewer than 2^32 frames later) and how many segments the other direction
// had sent then. 24 bytes: a connection keeps 2*dupSlots of them.
type recentFrame struct {
	key   uint64
	time  int64
	frame uint32
	peer  uint32
}

// artifactTrack is what a connection keeps to find capture artifacts.
type artifactTrack struct {
	recent [2][dupSlots]recentFrame
	next   [2]uint8
	sent   [2]uint32 // segments per direction (wrapping)
	// synAcks counts the server's SYN-ACKs (copies left out) before the
	// handshake completed: more than one and the handshake timing says
	// nothing about the capture point (a retransmitted SYN-ACK waited for
	// a timeout).
	synAcks uint8
}

// ArtifactCount counts one direction's capture artifacts.
type ArtifactCount struct {
	N [NumArtifacts]uint32 // segments per artifact kind (Artifact.Index)
	// DupRetrans and DupDupAcks count the duplicate frames that Wireshark's
	// analysis calls retransmissions (any kind) and duplicate ACKs.
	DupRetrans, DupDupAcks uint32
}

// Any reports whether the direction had any capture artifact.
func (ac *ArtifactCount) Any() bool {
	for _, n := range ac.N {
		if n > 0 {
			return true
		}
	}
	return false
}

// fingerprint sums up the fields two copies of one frame share: the TCP
// header fields, the payload length, the TCP checksum (which covers the
// payload: the same checksum with the same header is the same bytes) and the
// IPv4 id. TTL and the IP checksum are left out: a router between two
// capture points lowers the TTL.
func fingerprint(seg *capture.Segment) uint64 {
	// Each word is mixed before the next is added, so that no two fields
	// overlap (an ACK number one higher with the FIN flag is another frame).
	h := mix(uint64(seg.Seq)<<32 | uint64(seg.Ack))
	h = mix(h ^ (uint64(seg.IPID)<<48 | uint64(seg.TCPSum)<<32 | uint64(seg.Window)<<16 | uint64(seg.Flags)))
	h = mix(h ^ (uint64(uint32(seg.PayloadLen))<<32 | uint64(seg.Opts.TSVal)))
	return mix(h ^ (uint64(seg.HdrLen)<<8 | uint64(seg.Urgent)<<16))
}

// mix is SplitMix64's finalizer: every input bit moves every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// artifacts sets the segment's capture artifacts and counts them. It runs
// after the analysis, whose findings it counts the duplicates among.
func (c *Conn) artifacts(seg *capture.Segment, d flow.Dir, rec *Record) {
	t := &c.art
	if back, ok := t.seen(seg, d); ok {
		rec.Artifacts |= DuplicateFrame
		rec.DupBack = back
	} else if d == flow.S2C && seg.Flags&(capture.SYN|capture.ACK) == capture.SYN|capture.ACK && c.HandshakeRTT < 0 && t.synAcks < 255 {
		t.synAcks++
	}
	if peer := &c.EP[d.Reverse()]; peer.SYNSeen && peer.MSS > 0 && seg.PayloadLen > int(peer.MSS) {
		rec.Artifacts |= OverMSS
	}
	if seg.TCPChecksum == capture.ChecksumUnfilled || seg.IPChecksum == capture.ChecksumUnfilled {
		rec.Artifacts |= ChecksumOffload
	}
	if rec.Artifacts == 0 {
		return
	}
	ac := &c.Artifacts[d]
	for i, a := range AllArtifacts() {
		if rec.Artifacts&a != 0 {
			ac.N[i]++
		}
	}
	if rec.Artifacts&DuplicateFrame != 0 {
		if rec.Analysis&Retransmission != 0 {
			ac.DupRetrans++
		}
		if rec.Analysis&DuplicateAck != 0 {
			ac.DupDupAcks++
		}
	}
}

// seen looks the segment up among the recent frames of its direction and
// remembers it; when the segment is a copy it returns how many frames back
// the first copy is. Where the IP id says nothing (IPv6 has none; 0 is what stacks send
// when they do not count) a bare ACK repeated byte for byte is what a
// genuine duplicate ACK is, but a receiver sends one only in answer to a
// segment of the peer: such an ACK is a copy only when the peer sent nothing
// between the two. A bare RST without an IP id is never taken for a copy: a
// stack answers every segment that reaches a closed port with one, the
// same RST for segments with the same ACK number, and those segments need
// not be in the capture (a burst of 13 on corpus ndpi__ethereum.pcap).
func (t *artifactTrack) seen(seg *capture.Segment, d flow.Dir) (uint32, bool) {
	key := fingerprint(seg)
	slots := &t.recent[d]
	peer := t.sent[d.Reverse()]
	t.sent[d]++
	informative := seg.IPID != 0 || seg.PayloadLen > 0 || seg.Flags&(capture.SYN|capture.FIN) != 0
	for i := range slots {
		if !informative && seg.Flags&capture.RST != 0 {
			break
		}
		r := &slots[i]
		if (r.frame != 0 || r.time != 0) && r.key == key && abs(seg.Time-r.time) <= DupWindow && (informative || r.peer == peer) {
			// A copy: the slot keeps the first copy and its time.
			return uint32(seg.Frame) - r.frame, true
		}
	}
	slots[t.next[d]] = recentFrame{key: key, time: seg.Time, frame: uint32(seg.Frame), peer: peer}
	t.next[d] = (t.next[d] + 1) % dupSlots
	return 0, false
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// CapturePoint is where on the path between the client and the server a
// connection was captured, as the handshake's timing tells.
type CapturePoint uint8

// Capture points.
const (
	PointUnknown CapturePoint = iota // no complete handshake, or its timing says nothing
	NearClient
	NearServer
	InBetween
	SameHost // both ends on one host (loopback): the capture is at both
)

// String is the capture point's name in JSON.
func (p CapturePoint) String() string {
	return [...]string{"unknown", "near_client", "near_server", "in_between", "same_host"}[p]
}

// Text is the capture point in words.
func (p CapturePoint) Text() string {
	return [...]string{"unknown", "near the client", "near the server", "in between", "on the host of both ends"}[p]
}

// WhereCaptured tells where a connection was captured. Between two addresses
// of one host (the same address, or loopback ones) it is that host, whatever
// the timing; otherwise the handshake tells (Conn.HandshakePoint).
func WhereCaptured(c *Connection) CapturePoint {
	cl, sv := c.Client.Addr(), c.Server.Addr()
	if cl == sv || (cl.IsLoopback() && sv.IsLoopback()) {
		return SameHost
	}
	return c.Data.HandshakePoint()
}

// HandshakePoint tells where the connection was captured from the handshake:
// SYN to SYN-ACK (SynAckRTT) against SYN-ACK to the client's ACK (the rest
// of HandshakeRTT). An endpoint answers within microseconds, so at the
// client the SYN-ACK to ACK part is only the client's turnaround and the SYN
// to SYN-ACK part is the whole round trip; at the server it is the other way
// round. The rule: when the SYN-ACK to ACK part is at most a tenth of the
// handshake, the capture is near the client; when the SYN to SYN-ACK part is,
// near the server; otherwise in between (the parts are the round trips to
// the server and to the client from the capture point, and the nearer end is
// more than a tenth of the path's delay away). Unknown without a complete
// handshake, with a zero or negative time (timestamps going backwards), or
// when the server sent more than one SYN-ACK before the handshake completed
// (a retransmitted SYN-ACK: the client's ACK answers the later one), or on a
// simultaneous open (no side answers the other's SYN alone).
func (c *Conn) HandshakePoint() CapturePoint {
	total, synAck := c.HandshakeRTT, c.SynAckRTT
	if total <= 0 || synAck < 0 || synAck > total || c.art.synAcks > 1 || c.SimultaneousOpen {
		return PointUnknown
	}
	ack := total - synAck
	switch {
	case ack*10 <= total:
		return NearClient
	case synAck*10 <= total:
		return NearServer
	}
	return InBetween
}

// DupOf is the frame this segment is a copy of (DuplicateFrame), or 0.
func (r *Record) DupOf() uint64 {
	if r.DupBack == 0 {
		return 0
	}
	return r.Frame - uint64(r.DupBack)
}
