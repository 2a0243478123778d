package craft

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// An Endpoint is one side of a Conn and what it knows: the numbers it will put
// in its next segment. The fields are exported as escape hatches: set them
// between sends to jump the sequence space, change the advertised window, and
// so on.
type Endpoint struct {
	Addr netip.AddrPort
	MAC  net.HardwareAddr // Ethernet source address of its frames

	ISN     uint32 // initial sequence number; every SYN it sends carries it
	Next    uint32 // SND.NXT: the sequence number of its next new byte
	RcvNext uint32 // RCV.NXT: the acknowledgment it sends, once it has seen the peer's SYN

	SYNWindow uint16 // window field of its SYNs (never scaled)
	Window    uint16 // window field of its other segments (Window changes it)
	TSOffset  uint32 // added to the wire's millisecond clock to make TSval

	// Delay is the one-way time between this endpoint and the capture
	// point. A segment captured at time t reaches the endpoint at t+Delay,
	// and what the endpoint sends at t+Delay is captured at t+2*Delay: so an
	// endpoint's segments reflect only what was captured at least 2*Delay
	// before them. 0 (the default) puts the capture point at the endpoint.
	Delay time.Duration

	TTL       uint8  // IPv4 TTL or IPv6 hop limit
	IPID      uint16 // IPv4 identification of its next packet; incremented per packet
	FlowLabel uint32 // IPv6 flow label

	offeredTS   bool // its last SYN carried timestamps
	offeredSACK bool // its last SYN carried SACK-permitted
	haveTS      bool
	tsRecent    uint32  // last TSval received (RFC 7323 TS.Recent)
	ooo         []Block // out-of-order data received, most recent first

	ip   []byte // Addr's address in the form gopacket wants, cached
	ipOf netip.Addr
}

// SACKBlocks returns the out-of-order ranges the endpoint holds, most recently
// changed first, as its SACK option would list them.
func (e *Endpoint) SACKBlocks() []Block {
	return append([]Block(nil), e.ooo...)
}

// netIP returns the endpoint's address as a net.IP of 4 or 16 bytes.
func (e *Endpoint) netIP() net.IP {
	a := e.Addr.Addr().Unmap()
	if e.ip == nil || a != e.ipOf {
		e.ip, e.ipOf = a.AsSlice(), a
	}
	return e.ip
}

// receive updates what the endpoint knows after a segment is delivered to it.
// It keeps RCV.NXT and a list of out-of-order ranges; it does not check the
// segment against its window, so tests can deliver anything.
func (e *Endpoint) receive(f Flags, seq uint32, n int, hasTS bool, tsVal uint32) {
	if hasTS && (!e.haveTS || f&SYN != 0 || seqLE(e.tsRecent, tsVal)) {
		e.tsRecent, e.haveTS = tsVal, true
	}
	if f&RST != 0 {
		return
	}
	if f&SYN != 0 {
		e.RcvNext = seq + 1
		e.ooo = e.ooo[:0]
		return
	}
	l := uint32(n)
	if f&FIN != 0 {
		l++
	}
	if l == 0 {
		return
	}
	e.accept(seq, seq+l)
}

// accept records that [left, right) arrived.
func (e *Endpoint) accept(left, right uint32) {
	if seqLE(left, e.RcvNext) {
		if seqLT(e.RcvNext, right) {
			e.RcvNext = right
			e.absorb()
		}
		return
	}
	// Out of order: merge with the ranges it touches and move to the front,
	// as the most recently changed block comes first (RFC 2018 section 4).
	nb := Block{left, right}
	kept := e.ooo[:0]
	for _, b := range e.ooo {
		if seqLE(b.Left, nb.Right) && seqLE(nb.Left, b.Right) {
			if seqLT(b.Left, nb.Left) {
				nb.Left = b.Left
			}
			if seqLT(nb.Right, b.Right) {
				nb.Right = b.Right
			}
			continue
		}
		kept = append(kept, b)
	}
	e.ooo = append(kept, Block{})
	copy(e.ooo[1:], e.ooo)
	e.ooo[0] = nb
}

// absorb moves RCV.NXT over out-of-order ranges it has reached.
func (e *Endpoint) absorb() {
	for i := 0; i < len(e.ooo); {
		b := e.ooo[i]
		if !seqLE(b.Left, e.RcvNext) {
			i++
			continue
		}
		if seqLT(e.RcvNext, b.Right) {
			e.RcvNext = b.Right
		}
		e.ooo = append(e.ooo[:i], e.ooo[i+1:]...)
		i = 0
	}
}

// seqLT reports whether sequence number a comes before b, modulo 2^32
// (RFC 9293 section 3.4).
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }

// seqLE reports whether a comes before b or equals it.
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

// Side names an endpoint of a Conn.
type Side uint8

// The two sides. The client sent the first SYN (or, in a capture without
// one, is the side the test calls the client).
const (
	ClientSide Side = iota
	ServerSide
)

func (s Side) String() string {
	if s == ClientSide {
		return "client"
	}
	return "server"
}

// A Conn is one TCP connection on a Wire: two endpoints that send segments to
// each other. Each send fills in the sequence and acknowledgment numbers, the
// window and the automatic options from the sender's state, writes the
// packet, and delivers it to the peer, whose state advances.
type Conn struct {
	C, S *Endpoint

	// Link is how the connection's packets are framed; it may change between
	// sends. Conn fills in Src, Dst and Outgoing for each packet: the client
	// is the capturing host, so its packets are outgoing.
	Link Link

	// IPv6Ext puts a hop-by-hop options header (router alert and padding)
	// and a destination options header (an experimental option, RFC 4727)
	// between the IPv6 header and TCP. It is ignored for IPv4.
	IPv6Ext bool

	w        *Wire
	inflight []delivery // captured, not yet visible to the receiver
}

// A delivery is a segment on its way to an endpoint with a Delay.
type delivery struct {
	to      *Endpoint
	visible time.Time // when the receiver's own segments start to reflect it
	flags   Flags
	seq     uint32
	n       int
	hasTS   bool
	tsVal   uint32
}

// arrive delivers to e the segments that reached it by wire time t.
func (c *Conn) arrive(e *Endpoint, t time.Time) {
	kept := c.inflight[:0]
	for _, d := range c.inflight {
		if d.to == e && !d.visible.After(t) {
			e.receive(d.flags, d.seq, d.n, d.hasTS, d.tsVal)
			continue
		}
		kept = append(kept, d)
	}
	clear(c.inflight[len(kept):])
	c.inflight = kept
}

// Conn returns a connection between client and server, both of the same IP
// version, whose endpoints start at the given ISNs. Unset details get fixed
// defaults derived from the addresses and ISNs: MAC 02:00 followed by the
// address's last four bytes, SYN windows 64240 (client) and 65160 (server) as
// Linux sends them, windows 502 and 509 after the handshake (about 64 KB at
// window scale 7), TTL 64.
func (w *Wire) Conn(client, server netip.AddrPort, clientISN, serverISN uint32) *Conn {
	c := &Conn{
		C: newEndpoint(client, clientISN, 64240, 502),
		S: newEndpoint(server, serverISN, 65160, 509),
		w: w,
	}
	if client.Addr().Unmap().Is4() != server.Addr().Unmap().Is4() {
		w.fail(fmt.Errorf("conn %v-%v mixes IPv4 and IPv6", client, server))
	}
	return c
}

func newEndpoint(a netip.AddrPort, isn uint32, synWin, win uint16) *Endpoint {
	ip := a.Addr().As16()
	h := isn * 2654435761 // Knuth's multiplicative hash: fixed, spread out
	return &Endpoint{
		Addr:      a,
		MAC:       net.HardwareAddr{0x02, 0x00, ip[12], ip[13], ip[14], ip[15]},
		ISN:       isn,
		Next:      isn,
		SYNWindow: synWin,
		Window:    win,
		TSOffset:  h,
		TTL:       64,
		IPID:      uint16(h >> 16),
		FlowLabel: (h >> 8) & 0xfffff,
	}
}

// Sent describes a segment that was sent.
type Sent struct {
	Frame int       // frame number in the capture (from 1), or 0 if not captured
	Time  time.Time // when it passed the capture point
	Seq   uint32    // sequence number
	Ack   uint32    // acknowledgment number field
	Len   int       // payload bytes
	End   uint32    // Seq + Len, + 1 for SYN and for FIN: the sequence number after it
}

// Client sends a segment from the client to the server.
func (c *Conn) Client(f Flags, fields ...Field) Sent { return c.Send(ClientSide, f, fields...) }

// Server sends a segment from the server to the client.
func (c *Conn) Server(f Flags, fields ...Field) Sent { return c.Send(ServerSide, f, fields...) }

// Send sends a segment with flags f from one side to the other. By default:
// a SYN carries the sender's ISN and any other segment Endpoint.Next; the
// acknowledgment is Endpoint.RcvNext when ACK is set and 0 otherwise; the
// window is SYNWindow for a SYN and Window otherwise; once both SYNs carried
// timestamps every other segment carries them too (NOP, NOP, TS first); once
// both carried SACK-permitted every ACK carries the sender's out-of-order
// ranges as SACK blocks. Fields override each of these. After the send the
// sender's Next moves to the segment's end if that is further on, and unless
// the segment is Lost or Dropped the receiver takes it in: at once, or
// 2*Delay later when the receiver has a Delay (its RcvNext and SACK blocks
// then change only when it next sends).
//
// Errors are sticky: after one, sends do nothing and Wire.Err reports it.
func (c *Conn) Send(from Side, f Flags, fields ...Field) Sent {
	w := c.w
	if w.err != nil {
		return Sent{}
	}
	src, dst := c.C, c.S
	if from == ServerSide {
		src, dst = c.S, c.C
	}
	c.arrive(src, w.now)
	s := &w.seg
	s.reset(w, src, f)
	for _, fl := range fields {
		fl.apply(s)
	}

	seq := src.Next
	if f&SYN != 0 {
		seq = src.ISN
	}
	if s.seqSet {
		seq = s.seq
	}
	var ack uint32
	if f&ACK != 0 {
		ack = src.RcvNext
	}
	if s.ackSet {
		ack = s.ack
	}
	win := src.Window
	if f&SYN != 0 {
		win = src.SYNWindow
	}
	if s.winSet {
		win = s.window
		if f&SYN == 0 {
			src.Window = win
		}
	}
	payload := s.payload
	if s.dataLen > maxData {
		s.fail(fmt.Errorf("data of %d bytes is more than %d", s.dataLen, maxData))
	} else if s.dataLen > 0 {
		payload = fill(seq-src.ISN-1, s.dataLen)
	}
	if f&SYN != 0 {
		src.offeredTS, src.offeredSACK = s.hasTS, s.sackPerm
	}
	autoTS := f&SYN == 0 && !s.noTS && !s.explicitTS && c.C.offeredTS && c.S.offeredTS
	autoSACK := f&ACK != 0 && f&SYN == 0 && !s.noSACK && !s.explicitSACK &&
		c.C.offeredSACK && c.S.offeredSACK && len(src.ooo) > 0
	opts := s.finalOptions(w.opts[:0], autoTS, autoSACK)
	if s.err != nil {
		w.fail(fmt.Errorf("%v %v segment: %w", from, f, s.err))
		return Sent{}
	}

	end := seq + uint32(len(payload))
	if f&SYN != 0 {
		end++
	}
	if f&FIN != 0 {
		end++
	}
	if seqLT(src.Next, end) {
		src.Next = end
	}
	sent := Sent{Time: w.now, Seq: seq, Ack: ack, Len: len(payload), End: end}

	if s.capture {
		link := c.Link
		link.Src, link.Dst, link.Outgoing = src.MAC, dst.MAC, from == ClientSide
		t := &w.tcp
		t.SrcPort, t.DstPort = tcpPort(src.Addr), tcpPort(dst.Addr)
		t.Seq, t.Ack, t.Window, t.Urgent = seq, ack, win, s.urgent
		t.FIN, t.SYN, t.RST, t.PSH = f&FIN != 0, f&SYN != 0, f&RST != 0, f&PSH != 0
		t.ACK, t.URG, t.ECE, t.CWR = f&ACK != 0, f&URG != 0, f&ECE != 0, f&CWR != 0
		t.NS = false
		t.Options, t.Padding = opts, nil
		sent.Frame = w.writeTCP(&link, src, dst, c.IPv6Ext, payload)
	}
	src.IPID++
	if s.deliver && w.err == nil {
		if dst.Delay == 0 {
			dst.receive(f, seq, len(payload), s.hasTS, s.tsVal)
		} else {
			c.inflight = append(c.inflight, delivery{
				to: dst, visible: w.now.Add(2 * dst.Delay),
				flags: f, seq: seq, n: len(payload), hasTS: s.hasTS, tsVal: s.tsVal,
			})
		}
	}
	return sent
}

// maxData is the most payload one segment can carry here: more than an IP
// packet holds, for the segments of TCP segmentation offload (Link.TSO) and
// IPv6 jumbograms, which gopacket writes for payloads above 65535 bytes.
const maxData = 1 << 20

// Handshake sends a Linux three-way handshake as captured at the client: the
// SYN now, the SYN-ACK rtt later and the ACK 40µs after that, both SYNs with
// LinuxSYN(mss, 7) where mss is 1460 over IPv4 and 1440 over IPv6 (a 1500
// byte MTU less the IP and TCP headers).
func (c *Conn) Handshake(rtt time.Duration) {
	mss := uint16(1460)
	if !c.C.Addr.Addr().Unmap().Is4() {
		mss = 1440
	}
	c.Client(SYN, LinuxSYN(mss, 7))
	c.w.Advance(rtt)
	c.Server(SYN|ACK, LinuxSYN(mss, 7))
	c.w.Advance(40 * time.Microsecond)
	c.Client(ACK)
}
