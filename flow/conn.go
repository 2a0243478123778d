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
	// ClientBy says which rule chose the client (Table.Lookup).
	ClientBy ClientRule
	// MidStream is set when the connection's first segment was not a SYN: the
	// capture joined it after the handshake, so ISNs and window scales are unknown.
	MidStream  bool
	FirstFrame uint64
	LastFrame  uint64
	FirstTime  int64 // ns since the epoch
	LastTime   int64
	Packets    [2]uint64 // per Dir
	Bytes      [2]uint64 // TCP payload bytes on the wire, per Dir (retransmissions included)
	// FirstFile and FirstFileFrame name the input of the first frame and its
	// number there (capture.Segment.File, FileFrame).
	FirstFile      int
	FirstFileFrame uint64
	// Part is 0 for a connection seen from its first segment, and n for the
	// n-th continuation: segments that came on the 4-tuple after the run had
	// finished and forgotten the connection, which Wireshark would still count
	// in the same tcp.stream (same ID). A continuation is analyzed afresh, as
	// joined mid-stream.
	Part int
	// Selected is set when the run analyzes and reports the connection
	// (--conn, --host, --port select); the others are only numbered.
	Selected bool
	// Evicted is set when the run finished the connection while it was still
	// open, to stay within its cap on tracked connections.
	Evicted bool
	// Lingering and Finished are the run loop's: set while a closed
	// connection waits for late segments, and once it was handed over.
	Lingering, Finished bool
	Data                T

	// The table's eviction lists (see Table.Evictable).
	prev, next *Conn[T]
	class      int8

	// Lifecycle facts kept to decide port reuse and closing. base is the
	// sequence number each direction's relative numbers count from
	// (Wireshark's base_seq): its first SYN's, else one less than its first
	// segment's, moved by a SYN-ACK that brings another ISN.
	base    [2]uint32
	baseSet [2]bool
	// FIN and RST seen in this part (a continuation starts afresh): Closed,
	// which decides when a run finishes the part, reads them.
	finSeen [2]bool
	rstSeen bool
}

// ClientRule is the rule by which a connection's client was chosen.
type ClientRule uint8

// The rules, in the order Table.Lookup tries them.
const (
	ClientSentSYN        ClientRule = iota // it sent a SYN without ACK
	ClientGotSYNACK                        // the capture starts at the SYN-ACK it received
	ClientOtherWellKnown                   // joined mid-stream: only the other side's port is below 1024
	ClientHigherPort                       // joined mid-stream: its port is the higher one
	ClientFirstSender                      // joined mid-stream, same ports: it sent the first segment seen
)

// String says the rule in words, completing "tcpflow calls X the client because ...".
func (r ClientRule) String() string {
	return [...]string{
		"it sent the first SYN",
		"the capture starts at the SYN-ACK it received",
		"the other side uses a well-known port (below 1024)",
		"its port is the higher one, as ephemeral client ports usually are",
		"it sent the first segment seen",
	}[r]
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

// begin records seg as the connection's first frame.
func (c *Conn[T]) begin(seg *capture.Segment) {
	c.FirstFrame, c.FirstTime = seg.Frame, seg.Time
	c.FirstFile, c.FirstFileFrame = seg.File, seg.FileFrame
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

// Closed reports whether this part of the connection has ended as far as the
// wire shows: a RST, or a FIN in each direction, since its first segment.
func (c *Conn[T]) Closed() bool { return c.rstSeen || (c.finSeen[0] && c.finSeen[1]) }
