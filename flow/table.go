package flow

import (
	"net/netip"

	"github.com/tcpflow/tcpflow/capture"
)

// Table maps segments to connections. The zero value is not usable; call NewTable.
type Table[T any] struct {
	conns map[Key]*Conn[T]
	next  int
	// gone remembers the 4-tuples of removed (finished) connections, so that
	// a SYN on one of them is still seen as port reuse after its connection
	// was handed over and freed: a few bytes per connection.
	gone map[Key]struct{}
}

// NewTable returns an empty table.
func NewTable[T any]() *Table[T] {
	return &Table[T]{conns: make(map[Key]*Conn[T], 1024), gone: map[Key]struct{}{}}
}

// Result says what Lookup did with a segment.
type Result[T any] struct {
	Conn *Conn[T]
	Dir  Dir
	New  bool // the segment opened a new connection
	// Reused is set when the segment is a SYN that opened a new connection on a
	// 4-tuple already in use (Wireshark's tcp.analysis.reused_ports); Previous is
	// the connection it displaced, which will see no more segments.
	Reused   bool
	Previous *Conn[T]
}

// Lookup finds or creates the connection of seg and records the segment's
// lifecycle facts on it.
//
// Connections are numbered from 0 in order of their first frame, as Wireshark
// numbers tcp.stream. A SYN without ACK opens a new connection on a known 4-tuple
// when its side has sent before and its sequence number is not the base of that
// side's numbers (the ISN of its first SYN, or one less than the sequence number
// of its first segment when that was not a SYN): the port was reused. A
// retransmitted SYN (same sequence number) stays in its connection, and so does a
// SYN from a side that had not sent yet (it answers the other side's segments,
// as in a split handshake), whether or not the connection had closed.
//
// Who is the client: the sender of a SYN without ACK; the receiver of a SYN-ACK
// when that is the first segment seen; otherwise, for a connection joined
// mid-stream, the side whose port is not a well-known port (below 1024) when
// exactly one is, else the side with the higher port, else the sender of the first
// segment. This is the usual convention of tcptrace and Zeek; Wireshark has no
// notion of client.
func (t *Table[T]) Lookup(seg *capture.Segment) Result[T] {
	k, _ := KeyOf(seg.Src, seg.Dst)
	c, ok := t.conns[k]
	var res Result[T]
	if ok && c.Packets[0]+c.Packets[1] == 0 {
		// Known only from an ICMP error so far: this is its first segment.
		c.Client, c.Server = chooseClient(seg)
		c.MidStream = seg.Flags&capture.SYN == 0
		d := c.Dir(seg.Src)
		c.note(seg, d)
		res.Conn, res.Dir, res.New = c, d, true
		return res
	}
	if ok {
		d := c.Dir(seg.Src)
		if seg.Flags&(capture.SYN|capture.ACK) == capture.SYN && reuses(c, d, seg) {
			res.Previous, res.Reused = c, true
			ok = false
		} else {
			c.note(seg, d)
			res.Conn, res.Dir = c, d
			return res
		}
	}
	if _, ok := t.gone[k]; ok && seg.Flags&(capture.SYN|capture.ACK) == capture.SYN {
		delete(t.gone, k)
		res.Reused = true // its earlier connection finished and was removed
	}
	c = &Conn[T]{ID: t.next, Key: k, FirstFrame: seg.Frame, FirstTime: seg.Time}
	t.next++
	c.Client, c.Server = chooseClient(seg)
	c.MidStream = seg.Flags&capture.SYN == 0
	t.conns[k] = c
	d := c.Dir(seg.Src)
	c.note(seg, d)
	res.Conn, res.Dir, res.New = c, d, true
	return res
}

// LookupQuoted finds the connection a TCP header quoted in an ICMP error belongs
// to, creating it (with the next id, as Wireshark gives such frames a tcp.stream)
// when the 4-tuple is new and the whole TCP header was quoted (QuotedFull:
// Wireshark numbers nothing else). It records no lifecycle facts: the quoted
// segment is not part of the conversation. New is set when the connection was
// created; Conn is nil for a partial quote on an unknown 4-tuple.
func (t *Table[T]) LookupQuoted(seg *capture.Segment) Result[T] {
	k, _ := KeyOf(seg.Src, seg.Dst)
	if c, ok := t.conns[k]; ok {
		return Result[T]{Conn: c, Dir: c.Dir(seg.Src)}
	}
	if !seg.QuotedFull {
		return Result[T]{}
	}
	c := &Conn[T]{ID: t.next, Key: k, FirstFrame: seg.Frame, FirstTime: seg.Time, LastFrame: seg.Frame, LastTime: seg.Time}
	t.next++
	c.Client, c.Server = chooseClient(seg)
	t.conns[k] = c
	return Result[T]{Conn: c, Dir: c.Dir(seg.Src), New: true}
}

// reuses reports whether a SYN without ACK sent in direction d starts a new
// connection on c's 4-tuple: its side has sent before and the SYN's sequence
// number is not the base of that side's numbers (Wireshark's rule; a SYN
// sent again keeps its number).
func reuses[T any](c *Conn[T], d Dir, seg *capture.Segment) bool {
	return c.baseSet[d] && c.base[d] != seg.Seq
}

func chooseClient(seg *capture.Segment) (client, server netip.AddrPort) {
	switch {
	case seg.Flags&(capture.SYN|capture.ACK) == capture.SYN:
		return seg.Src, seg.Dst
	case seg.Flags&capture.SYN != 0:
		return seg.Dst, seg.Src
	}
	sp, dp := seg.Src.Port(), seg.Dst.Port()
	switch {
	case (sp < 1024) != (dp < 1024):
		if sp < 1024 {
			return seg.Dst, seg.Src
		}
		return seg.Src, seg.Dst
	case sp < dp:
		return seg.Dst, seg.Src
	}
	return seg.Src, seg.Dst
}

// Len is the number of connections currently in the table.
func (t *Table[T]) Len() int { return len(t.conns) }

// Count is the number of connections ever created (the next id).
func (t *Table[T]) Count() int { return t.next }

// Remove drops a finished connection from the table, so that its memory can be
// freed once its report is written. A later segment of the same 4-tuple opens a
// new connection.
func (t *Table[T]) Remove(c *Conn[T]) {
	if t.conns[c.Key] == c {
		delete(t.conns, c.Key)
		t.gone[c.Key] = struct{}{}
	}
}

// Each calls f for every connection still in the table, in id order.
func (t *Table[T]) Each(f func(*Conn[T])) {
	all := make([]*Conn[T], 0, len(t.conns))
	for _, c := range t.conns {
		all = append(all, c)
	}
	sortByID(all)
	for _, c := range all {
		f(c)
	}
}
