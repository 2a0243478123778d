package flow

import (
	"net/netip"

	"github.com/tcpflow/tcpflow/capture"
)

// Conn is one TCP connection. T is the per-connection analysis state a later stage
// keeps (state.Conn); flow never looks inside it.
type Conn[T any] struct {
	ID     int // 0-based, in order of first frame: Wireshark's tcp.stream
	Key    Key
	Client netip.AddrPort // the side that sent the first SYN (see Table for the rule without one)
	Server netip.AddrPort
	// MidStream is set when the connection's first segment was not a SYN: the
	// capture joined it after the handshake, so ISNs and window scales are unknown.
	MidStream  bool
	FirstFrame uint64
	LastFrame  uint64
	FirstTime  int64 // ns since the epoch
	LastTime   int64
	Packets    [2]uint64 // per Dir
	Bytes      [2]uint64 // TCP payload bytes on the wire, per Dir (retransmissions included)
	Data       T

	// Lifecycle facts kept to decide port reuse and closing. base is the
	// sequence number each direction's relative numbers count from
	// (Wireshark's base_seq): its first SYN's, else one less than its first
	// segment's, moved by a SYN-ACK that brings another ISN.
	base    [2]uint32
	baseSet [2]bool
	finSeen [2]bool
	rstSeen bool
}

// Dir returns the direction of a segment from src.
func (c *Conn[T]) Dir(src netip.AddrPort) Dir {
	if src == c.Client {
		return C2S
	}
	return S2C
}

// Endpoint returns the address of the side that sends in direction d.
func (c *Conn[T]) Endpoint(d Dir) netip.AddrPort {
	if d == C2S {
		return c.Client
	}
	return c.Server
}

// note records the lifecycle facts of a segment in direction d.
func (c *Conn[T]) note(seg *capture.Segment, d Dir) {
	c.LastFrame, c.LastTime = seg.Frame, seg.Time
	c.Packets[d]++
	c.Bytes[d] += uint64(seg.PayloadLen)
	switch {
	case !c.baseSet[d] && seg.Flags&capture.SYN != 0:
		c.base[d], c.baseSet[d] = seg.Seq, true
	case !c.baseSet[d]:
		c.base[d], c.baseSet[d] = seg.Seq-1, true
	case seg.Flags&(capture.SYN|capture.ACK) == capture.SYN|capture.ACK:
		c.base[d] = seg.Seq
	}
	if seg.Flags&capture.FIN != 0 {
		c.finSeen[d] = true
	}
	if seg.Flags&capture.RST != 0 {
		c.rstSeen = true
	}
}

// closed reports whether the connection has ended as far as the wire shows:
// reset, or a FIN seen in both directions.
func (c *Conn[T]) closed() bool { return c.rstSeen || (c.finSeen[0] && c.finSeen[1]) }

// Closed reports whether the connection has ended as far as the wire shows: a
// RST, or a FIN in each direction.
func (c *Conn[T]) Closed() bool { return c.closed() }
