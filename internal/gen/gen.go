// Package gen crafts large, deterministic captures for benchmarks: many short
// HTTP-like connections, a few bulk transfers, or a lossy mix. The same
// Options give the same bytes on every machine (a seeded PCG drives every
// choice, and time comes from the capture clock, never the wall clock).
//
// It schedules many connections over one craft.Wire: each connection is a
// small state machine that sends its next segment and says how long until
// the one after; a heap picks the connection whose next segment is due first.
package gen

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// Profile is the kind of traffic generated.
type Profile string

// Profiles.
const (
	// Many: tens of thousands of short HTTP/1.1-like connections with
	// keep-alive requests, closed by FIN from either side, by RST, or
	// refused, from a few clients whose ephemeral ports get reused.
	Many Profile = "many"
	// Bulk: a few long transfers in large segments (as captured on a host
	// with segmentation offload).
	Bulk Profile = "bulk"
	// Lossy: the Many mix over a path that loses (after the capture point)
	// and reorders segments: duplicate ACKs with SACK, fast retransmissions,
	// retransmissions after a timeout, out-of-order segments.
	Lossy Profile = "lossy"
	// SynFlood: SYNs from random addresses and ports to one server port,
	// never answered (a SYN flood, a scan, or a server that stopped
	// answering): one half-open connection per packet.
	SynFlood Profile = "synflood"
)

// Options say what to generate.
type Options struct {
	Profile Profile
	// Packets is the number of packets to write (approximately: the last
	// connections are finished, not cut).
	Packets int
	Seed    uint64
	// Concurrent is how many connections are open at once (default 64; Bulk: 4).
	Concurrent int
	// SegSize is the payload of a full data segment (default 1448; Bulk 8688).
	SegSize int
}

// Start is when every generated capture begins.
var Start = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// Write writes a classic pcap (Ethernet, microseconds) to out and returns the
// number of packets written.
func Write(out io.Writer, o Options) (int, error) {
	bw := bufio.NewWriterSize(out, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return 0, err
	}
	g, err := newGenerator(pw, o)
	if err != nil {
		return 0, err
	}
	g.run()
	if err := g.w.Err(); err != nil {
		return g.w.Frames(), err
	}
	return g.w.Frames(), bw.Flush()
}

type generator struct {
	o       Options
	w       *craft.Wire
	rng     *rand.Rand
	q       connQueue
	started int
	ports   [4]uint16 // next ephemeral port per client
	open    map[[2]netip.AddrPort]bool
}

func newGenerator(pw craft.PacketWriter, o Options) (*generator, error) {
	switch o.Profile {
	case Many, Lossy:
		if o.Concurrent == 0 {
			o.Concurrent = 64
		}
		if o.SegSize == 0 {
			o.SegSize = 1448
		}
	case Bulk:
		if o.Concurrent == 0 {
			o.Concurrent = 4
		}
		if o.SegSize == 0 {
			o.SegSize = 8688
		}
	case SynFlood:
	default:
		return nil, fmt.Errorf("unknown profile %q (want many, bulk, lossy or synflood)", o.Profile)
	}
	g := &generator{o: o, w: craft.NewWire(pw, Start), rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		open: map[[2]netip.AddrPort]bool{}}
	for i := range g.ports {
		g.ports[i] = 32768 + uint16(i)*7919%28000
	}
	return g, nil
}

func (g *generator) run() {
	if g.o.Profile == SynFlood {
		g.flood()
		return
	}
	for i := 0; i < g.o.Concurrent; i++ {
		g.startConn(g.w.Now().Add(time.Duration(g.rng.IntN(20000)) * time.Microsecond))
	}
	for g.q.Len() > 0 && g.w.Err() == nil {
		s := heap.Pop(&g.q).(*script)
		g.w.AdvanceTo(s.due)
		if d, more := s.step(g); more {
			s.due = g.w.Now().Add(d)
			heap.Push(&g.q, s)
		} else if delete(g.open, s.tuple); g.w.Frames() < g.o.Packets {
			g.startConn(g.w.Now().Add(time.Duration(g.rng.IntN(2000)) * time.Microsecond))
		}
	}
}

// flood writes Packets SYNs, 20 µs apart, from random sources in
// 10.64.0.0/10 to 10.2.0.1:80, none answered.
func (g *generator) flood() {
	srv := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, 0, 1}), 80)
	for i := 0; i < g.o.Packets && g.w.Err() == nil; i++ {
		a := 64<<16 | g.rng.Uint32()&(1<<22-1)
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(a >> 16), byte(a >> 8), byte(a)}), uint16(1024+g.rng.IntN(64512)))
		g.w.Conn(cli, srv, g.rng.Uint32(), 0).Client(syn, craft.LinuxSYN(1460, 7))
		g.w.AdvanceTo(g.w.Now().Add(20 * time.Microsecond))
	}
}

// startConn opens the next connection at time t.
func (g *generator) startConn(t time.Time) {
	g.started++
	client := g.rng.IntN(len(g.ports))
	// Ephemeral ports cycle through a small range, so that a 4-tuple comes
	// back after its connection closed: port reuse.
	// (at least twice the open connections, so a free one always exists).
	span := uint16(min(28000, max(64, 2*g.o.Concurrent)))
	srv := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, 0, byte(1 + g.rng.IntN(8))}), 80)
	if g.o.Profile == Bulk {
		srv = netip.AddrPortFrom(srv.Addr(), 5001)
	}
	var cli netip.AddrPort
	for {
		// The next port not in use with this server (a 4-tuple carries one
		// connection at a time).
		port := g.ports[client]
		g.ports[client] = 32768 + (port-32768+1)%span
		cli = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(10 + client)}), port)
		if !g.open[[2]netip.AddrPort{cli, srv}] {
			break
		}
	}
	g.open[[2]netip.AddrPort{cli, srv}] = true
	s := &script{due: t, rtt: time.Duration(200+g.rng.IntN(30000)) * time.Microsecond, tuple: [2]netip.AddrPort{cli, srv}}
	s.c = g.w.Conn(cli, srv, g.rng.Uint32(), g.rng.Uint32())
	switch g.o.Profile {
	case Bulk:
		s.requests = 1
		s.respSegs = 1 << 30 // until the packet budget runs out
	default:
		s.requests = 1 + g.rng.IntN(5)
		switch r := g.rng.IntN(100); {
		case r < 5:
			s.end = endRefused
		case r < 15:
			s.end = endRST
		case r < 55:
			s.end = endServerFIN
		default:
			s.end = endClientFIN
		}
	}
	heap.Push(&g.q, s)
}

// How a connection ends.
const (
	endClientFIN = iota
	endServerFIN
	endRST
	endRefused
)

// script is one connection's progress.
type script struct {
	c        *craft.Conn
	tuple    [2]netip.AddrPort
	due      time.Time
	index    int
	rtt      time.Duration
	phase    int
	requests int // requests still to make
	respSegs int // response segments still to send
	unacked  int // response segments the client has not acknowledged
	end      int
	// loss: the sequence number of a segment lost after the capture point,
	// and how many segments were sent since (the receiver's dup ACKs).
	lostSeq  uint32
	lostLen  int
	lostSent int
	held     *heldSeg // a segment held back to be sent after the next (reordering)
}

type heldSeg struct {
	seq  uint32
	n    int
	ipid uint16 // the IPv4 id it was sent with, before the segment that overtook it
}

// Phases.
const (
	pSYN = iota
	pSYNACK
	pACK
	pRequest
	pRequestACK
	pResponse
	pClose1
	pClose2
	pClose3
	pClose4
	pDone
)

const (
	syn = craft.SYN
	ack = craft.ACK
	fin = craft.FIN
	rst = craft.RST
	psh = craft.PSH
)

// step sends the connection's next segment and returns the delay to the one
// after it, or false when the connection is over.
func (s *script) step(g *generator) (time.Duration, bool) {
	c, half := s.c, s.rtt/2
	switch s.phase {
	case pSYN:
		c.Client(syn, craft.LinuxSYN(1460, 7))
		s.phase = pSYNACK
		return s.rtt, true
	case pSYNACK:
		if s.end == endRefused {
			c.Server(rst|ack, craft.Window(0), craft.NoTimestamps)
			return 0, false
		}
		c.Server(syn|ack, craft.LinuxSYN(1460, 7))
		s.phase = pACK
		return 40 * time.Microsecond, true
	case pACK:
		c.Client(ack)
		s.phase = pRequest
		return 100 * time.Microsecond, true
	case pRequest:
		c.Client(psh|ack, craft.Data(200+g.rng.IntN(500)))
		s.requests--
		if g.o.Profile != Bulk {
			s.respSegs = 1 + g.rng.IntN(8)
		}
		s.phase = pRequestACK
		return s.rtt, true
	case pRequestACK:
		c.Server(ack)
		s.phase = pResponse
		return time.Duration(100+g.rng.IntN(400)) * time.Microsecond, true
	case pResponse:
		return s.response(g)
	case pClose1:
		switch s.end {
		case endRST:
			if g.rng.IntN(2) == 0 {
				c.Client(rst|ack, craft.Window(0))
			} else {
				c.Server(rst|ack, craft.Window(0))
			}
			return 0, false
		case endServerFIN:
			c.Server(fin | ack)
		default:
			c.Client(fin | ack)
		}
		s.phase = pClose2
		return half, true
	case pClose2:
		if s.end == endServerFIN {
			c.Client(ack)
		} else {
			c.Server(ack)
		}
		s.phase = pClose3
		return 200 * time.Microsecond, true
	case pClose3:
		if s.end == endServerFIN {
			c.Client(fin | ack)
		} else {
			c.Server(fin | ack)
		}
		s.phase = pClose4
		return half, true
	case pClose4:
		if s.end == endServerFIN {
			c.Server(ack)
		} else {
			c.Client(ack)
		}
		return 0, false
	}
	return 0, false
}

// response sends the next response segment, the client's ACKs (every second
// segment), and in the lossy profile the losses, reordering and recovery.
func (s *script) response(g *generator) (time.Duration, bool) {
	c := s.c
	gap := time.Duration(30+g.rng.IntN(60)) * time.Microsecond
	lossy := g.o.Profile == Lossy
	switch {
	case s.lostLen > 0 && s.lostSent >= 3:
		// Three duplicate ACKs came back: fast retransmission.
		c.Server(ack, craft.Seq(s.lostSeq), craft.Data(s.lostLen))
		s.lostLen = 0
		c.Client(ack)
		return gap, true
	case s.held != nil:
		next := c.S.IPID
		c.S.IPID = s.held.ipid
		c.Server(ack, craft.Seq(s.held.seq), craft.Data(s.held.n))
		c.S.IPID = next
		s.held = nil
		c.Client(ack)
		return gap, true
	case s.respSegs > 0 && g.w.Frames() < g.o.Packets:
		n := g.o.SegSize
		if s.respSegs == 1 && g.o.Profile != Bulk {
			n = 1 + g.rng.IntN(g.o.SegSize)
		}
		s.respSegs--
		switch r := g.rng.IntN(1000); {
		case lossy && r < 15 && s.lostLen == 0:
			// Lost after the capture point: captured, never delivered.
			sent := c.Server(ack, craft.Data(n), craft.Dropped)
			s.lostSeq, s.lostLen, s.lostSent = sent.Seq, n, 0
		case lossy && r < 25 && s.held == nil && s.respSegs > 0:
			// Reordered: this segment arrives after the next one.
			// The network swapped them: the held one was sent first,
			// with the lower IPv4 id.
			seq := c.S.Next
			c.S.Next += uint32(n)
			s.held = &heldSeg{seq, n, c.S.IPID}
			c.S.IPID++
			c.Server(ack, craft.Data(g.o.SegSize))
			s.respSegs--
			c.Client(ack)
			return gap, true
		default:
			c.Server(ack, craft.Data(n))
		}
		if s.lostLen > 0 {
			s.lostSent++
			c.Client(ack) // a duplicate ACK with SACK
			return gap, true
		}
		s.unacked++
		if s.unacked >= 2 || s.respSegs == 0 {
			s.unacked = 0
			c.Client(ack)
		}
		return gap, true
	case s.lostLen > 0:
		// Too few segments followed for fast retransmission: the server's
		// retransmission timer fires.
		c.Server(ack, craft.Seq(s.lostSeq), craft.Data(s.lostLen))
		s.lostLen = 0
		c.Client(ack)
		return 200 * time.Millisecond, true
	}
	if s.requests > 0 && g.w.Frames() < g.o.Packets {
		s.phase = pRequest
		return time.Duration(1+g.rng.IntN(50)) * time.Millisecond, true
	}
	s.phase = pClose1
	return time.Duration(1+g.rng.IntN(20)) * time.Millisecond, true
}

// connQueue is a heap of scripts by due time, then by start order.
type connQueue []*script

func (q connQueue) Len() int { return len(q) }
func (q connQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].c.C.Addr.Port() < q[j].c.C.Addr.Port() // any fixed order
}
func (q connQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i]; q[i].index = i; q[j].index = j }
func (q *connQueue) Push(x any)   { s := x.(*script); s.index = len(*q); *q = append(*q, s) }
func (q *connQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}
