package flow

import (
	"iter"
	"net/netip"
	"slices"

	"github.com/tcpflow/tcpflow/capture"
)

// Table maps segments to connections. The zero value is not usable; call NewTable.
//
// A run keeps in the table only the connections that are open; those it has
// finished and handed to the reports are removed (Remove) and remembered in a
// few bytes each (forgotten), enough to number later segments exactly as
// Wireshark numbers tcp.stream: a segment on a forgotten 4-tuple that does not
// open a new connection by Wireshark's port-reuse rule keeps the forgotten
// connection's id (a continuation, Conn.Part > 0).
type Table[T any] struct {
	conns map[Key]*Conn[T]
	next  int
	gone  map[packedKey]forgotten
	// MaxForgotten caps the forgotten connections remembered; when it is
	// exceeded the oldest (lowest ids) are dropped, in batches, and counted
	// in Dropped. A segment on a dropped 4-tuple starts a new id. 0 means
	// DefaultMaxForgotten; negative, no limit.
	MaxForgotten int
	// Dropped counts forgotten connections dropped for MaxForgotten.
	Dropped int
	// lists hold the connections by eviction class, least recently active
	// first (Evictable).
	lists [numClasses]connList[T]
}

// Eviction classes, in the order Evictable gives them up: closed
// connections only wait for late segments; half-open or one-sided ones
// (nothing seen from one side: a SYN flood, a scan, a server that stopped
// answering) are the cheapest to lose; then the rest.
const (
	classClosed int8 = iota
	classOneSided
	classOpen
	numClasses
)

// connList is a doubly linked list of connections through Conn.prev/next.
type connList[T any] struct{ head, tail *Conn[T] }

func (l *connList[T]) push(c *Conn[T]) {
	c.prev, c.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = c
	} else {
		l.head = c
	}
	l.tail = c
}

func (l *connList[T]) unlink(c *Conn[T]) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

func (c *Conn[T]) evictClass() int8 {
	switch {
	case c.Closed():
		return classClosed
	case c.Packets[C2S] == 0 || c.Packets[S2C] == 0:
		return classOneSided
	}
	return classOpen
}

// touch moves a connection that just saw a segment to the end of its list
// (its class may have changed): O(1) per segment.
func (t *Table[T]) touch(c *Conn[T]) {
	t.lists[c.class].unlink(c)
	c.class = c.evictClass()
	t.lists[c.class].push(c)
}

// add puts a connection new in the table on its list.
func (t *Table[T]) add(c *Conn[T]) {
	t.conns[c.Key] = c
	c.class = c.evictClass()
	t.lists[c.class].push(c)
}

// Evictable returns up to n tracked connections in the order a run should
// finish them early to make room: closed ones first, then half-open or
// one-sided ones, then the others, each kind least recently active first.
// The order depends only on the segments seen, so evictions are the same on
// every run.
func (t *Table[T]) Evictable(n int) []*Conn[T] {
	out := make([]*Conn[T], 0, min(n, len(t.conns)))
	for k := range t.lists {
		for c := t.lists[k].head; c != nil && len(out) < n; c = c.next {
			out = append(out, c)
		}
	}
	return out
}

// OneSided reports whether c is in the half-open or one-sided class: no
// segment seen from one side.
func OneSided[T any](c *Conn[T]) bool { return c.Packets[C2S] == 0 || c.Packets[S2C] == 0 }

// DefaultMaxForgotten is the number of finished connections remembered for
// numbering: about 80 bytes each, 40 MB in all.
const DefaultMaxForgotten = 1 << 19

// packedKey is a Key in 36 bytes without pointers (netip.Addr carries a zone
// pointer), for the map of forgotten connections, which can hold millions.
type packedKey [36]byte

func (k Key) pack() packedKey {
	var p packedKey
	a, b := k.A.Addr().As16(), k.B.Addr().As16()
	copy(p[0:16], a[:])
	copy(p[16:32], b[:])
	p[32], p[33] = byte(k.A.Port()>>8), byte(k.A.Port())
	p[34], p[35] = byte(k.B.Port()>>8), byte(k.B.Port())
	return p
}

// forgotten is what the table keeps of a finished connection: its id and the
// lifecycle facts of Wireshark's port-reuse rule.
type forgotten struct {
	id      uint32
	part    uint16
	base    [2]uint32
	baseSet [2]bool
	clientA bool // the client is the key's A side
	by      ClientRule
}

// NewTable returns an empty table.
func NewTable[T any]() *Table[T] {
	return &Table[T]{conns: make(map[Key]*Conn[T], 1024), gone: map[packedKey]forgotten{}}
}

// Result says what Lookup did with a segment.
type Result[T any] struct {
	Conn *Conn[T]
	Dir  Dir
	New  bool // the segment opened a new connection (or a continuation: Conn.Part > 0)
	// Reused is set when the segment is a SYN that opened a new connection on a
	// 4-tuple already in use (Wireshark's tcp.analysis.reused_ports); Previous is
	// the connection it displaced, which will see no more segments (nil when
	// that one was already finished).
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
		if c.Part == 0 {
			c.Client, c.Server, c.ClientBy = chooseClient(seg)
		}
		c.MidStream = seg.Flags&capture.SYN == 0
		d := c.Dir(seg.Src)
		c.note(seg, d)
		t.touch(c)
		res.Conn, res.Dir, res.New = c, d, true
		return res
	}
	if ok {
		d := c.Dir(seg.Src)
		if seg.Flags&(capture.SYN|capture.ACK) == capture.SYN && reuses(c, d, seg) {
			res.Previous, res.Reused = c, true
			t.lists[c.class].unlink(c)
		} else {
			c.note(seg, d)
			t.touch(c)
			res.Conn, res.Dir = c, d
			return res
		}
	} else if old, ok := t.recall(k); ok {
		if seg.Flags&(capture.SYN|capture.ACK) == capture.SYN && reuses(old, old.Dir(seg.Src), seg) {
			res.Reused = true // its earlier connection finished and was removed
		} else {
			// Wireshark would still count this segment in the old stream.
			old.begin(seg)
			old.MidStream = seg.Flags&capture.SYN == 0
			d := old.Dir(seg.Src)
			old.note(seg, d)
			t.add(old)
			res.Conn, res.Dir, res.New = old, d, true
			return res
		}
	}
	c = &Conn[T]{ID: t.next, Key: k}
	c.begin(seg)
	t.next++
	c.Client, c.Server, c.ClientBy = chooseClient(seg)
	c.MidStream = seg.Flags&capture.SYN == 0
	d := c.Dir(seg.Src)
	c.note(seg, d)
	t.add(c)
	res.Conn, res.Dir, res.New = c, d, true
	return res
}

// recall takes a forgotten connection of key k out of the table's memory and
// returns it as a continuation: same id, next part, same client, the
// lifecycle facts of the port-reuse rule, no packets yet.
func (t *Table[T]) recall(k Key) (*Conn[T], bool) {
	p := k.pack()
	f, ok := t.gone[p]
	if !ok {
		return nil, false
	}
	delete(t.gone, p)
	c := &Conn[T]{ID: int(f.id), Part: int(f.part) + 1, Key: k, base: f.base, baseSet: f.baseSet}
	c.Client, c.Server, c.ClientBy = k.A, k.B, f.by
	if !f.clientA {
		c.Client, c.Server = k.B, k.A
	}
	return c, true
}

// LookupQuoted finds the connection of a TCP header that is no segment to
// analyze: one quoted in an ICMP error (seg.Quoted) or one with a bogus length
// (seg.BadHeader). It creates the connection (with the next id, as Wireshark
// gives such frames a tcp.stream) when the 4-tuple is new and Wireshark would
// number the frame: a bogus header always, a quote only when it holds the whole
// TCP header (QuotedFull). A header about a forgotten connection opens its
// continuation. It records no lifecycle facts: the header is not part of the
// conversation. New is set when the connection was created; Conn is nil for a
// partial quote on an unknown 4-tuple.
func (t *Table[T]) LookupQuoted(seg *capture.Segment) Result[T] {
	k, _ := KeyOf(seg.Src, seg.Dst)
	if c, ok := t.conns[k]; ok {
		return Result[T]{Conn: c, Dir: c.Dir(seg.Src)}
	}
	if !seg.QuotedFull && !seg.BadHeader {
		if _, ok := t.gone[k.pack()]; !ok {
			return Result[T]{}
		}
	}
	c, ok := t.recall(k)
	if !ok {
		c = &Conn[T]{ID: t.next, Key: k}
		t.next++
		c.Client, c.Server, c.ClientBy = chooseClient(seg)
	}
	c.begin(seg)
	c.LastFrame, c.LastTime = seg.Frame, seg.Time
	t.add(c)
	return Result[T]{Conn: c, Dir: c.Dir(seg.Src), New: true}
}

// reuses reports whether a SYN without ACK sent in direction d starts a new
// connection on c's 4-tuple: its side has sent before and the SYN's sequence
// number is not the base of that side's numbers (Wireshark's rule; a SYN
// sent again keeps its number).
func reuses[T any](c *Conn[T], d Dir, seg *capture.Segment) bool {
	return c.baseSet[d] && c.base[d] != seg.Seq
}

func chooseClient(seg *capture.Segment) (client, server netip.AddrPort, by ClientRule) {
	switch {
	case seg.Flags&(capture.SYN|capture.ACK) == capture.SYN:
		return seg.Src, seg.Dst, ClientSentSYN
	case seg.Flags&capture.SYN != 0:
		return seg.Dst, seg.Src, ClientGotSYNACK
	}
	sp, dp := seg.Src.Port(), seg.Dst.Port()
	switch {
	case (sp < 1024) != (dp < 1024):
		if sp < 1024 {
			return seg.Dst, seg.Src, ClientOtherWellKnown
		}
		return seg.Src, seg.Dst, ClientOtherWellKnown
	case sp < dp:
		return seg.Dst, seg.Src, ClientHigherPort
	case sp > dp:
		return seg.Src, seg.Dst, ClientHigherPort
	}
	return seg.Src, seg.Dst, ClientFirstSender
}

// Len is the number of connections currently in the table.
func (t *Table[T]) Len() int { return len(t.conns) }

// Forgotten is the number of finished connections remembered for numbering.
func (t *Table[T]) Forgotten() int { return len(t.gone) }

// Count is the number of connections ever created (the next id).
func (t *Table[T]) Count() int { return t.next }

// Remove drops a finished connection from the table, so that its memory can be
// freed once its report is written, and remembers what numbering later
// segments of its 4-tuple needs.
func (t *Table[T]) Remove(c *Conn[T]) {
	if t.conns[c.Key] != c {
		return
	}
	delete(t.conns, c.Key)
	t.lists[c.class].unlink(c)
	limit := t.MaxForgotten
	if limit == 0 {
		limit = DefaultMaxForgotten
	}
	if limit > 0 && len(t.gone) >= limit {
		t.dropOldest(limit)
	}
	t.gone[c.Key.pack()] = forgotten{id: uint32(c.ID), part: uint16(min(c.Part, 1<<16-1)), base: c.base,
		baseSet: c.baseSet, clientA: c.Client == c.Key.A, by: c.ClientBy}
}

// dropOldest forgets the oldest eighth (lowest ids) of the forgotten
// connections, so that dropping costs a scan per max/8 removals.
func (t *Table[T]) dropOldest(limit int) {
	ids := make([]uint32, 0, len(t.gone))
	for _, f := range t.gone {
		ids = append(ids, f.id)
	}
	slices.Sort(ids)
	cut := ids[min(len(ids), max(limit/8, 1))-1]
	for k, f := range t.gone {
		if f.id <= cut {
			delete(t.gone, k)
			t.Dropped++
		}
	}
}

// All yields every connection in the table, in no particular order: callers
// that act on several sort them first.
func (t *Table[T]) All() iter.Seq[*Conn[T]] {
	return func(yield func(*Conn[T]) bool) {
		for _, c := range t.conns {
			if !yield(c) {
				return
			}
		}
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
