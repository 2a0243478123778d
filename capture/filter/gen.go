package filter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/internal/linktype"
)

// The code generator follows libpcap's gencode.c, so that a frame matches
// here exactly when tcpdump (libpcap 1.10) keeps it:
//
//   - tests are made in libpcap's order (link type first, then the fields
//     behind it), which matters because a load past the end of the captured
//     bytes rejects the frame at once, whatever the rest of the expression;
//   - "port" and "portrange" match IPv4 only on the first fragment (offset
//     0), and IPv6 only when the transport header follows the fixed header
//     (no extension header is walked); "tcp", "udp", "proto N" also accept
//     an IPv6 fragment header right after the fixed one;
//   - tcp[], udp[], icmp[] and the like index IPv4 only, past its IHL, and
//     only on the first fragment; icmp6[] indexes IPv6 past 40 bytes;
//   - "host A" also matches ARP and RARP packets that carry A;
//   - "vlan" moves the offsets of every test after it by 4 bytes, even
//     across "or", as libpcap does;
//   - in "a + b", libpcap keeps the protocol checks of a's loads and drops
//     b's (gen_arth merges only its left operand's); so does this.

// linkKind is how a link type frames the network layer.
type linkKind int

const (
	lkEthernet linkKind = iota
	lkSLL
	lkSLL2
	lkNull // BSD loopback: AF in host byte order
	lkLoop // OpenBSD loopback: AF in network byte order
	lkRaw  // IPv4 or IPv6 by the version nibble
	lkIPv4
	lkIPv6
)

// linkKinds are the link types the filter compiles for: those
// tcpflow decodes.
var linkKinds = map[layers.LinkType]linkKind{
	layers.LinkTypeEthernet:  lkEthernet,
	layers.LinkTypeLinuxSLL:  lkSLL,
	layers.LinkTypeLinuxSLL2: lkSLL2,
	layers.LinkTypeNull:      lkNull,
	layers.LinkTypeLoop:      lkLoop,
	layers.LinkTypeRaw:       lkRaw,
	12:                       lkRaw, // RAW on most systems' DLT numbering
	14:                       lkRaw, // RAW on OpenBSD
	layers.LinkTypeIPv4:      lkIPv4,
	layers.LinkTypeIPv6:      lkIPv6,
}

// ErrLinkType is wrapped by the error Program and Compile return for a link
// type the filter does not compile for (one tcpflow does not decode).
var ErrLinkType = errors.New("link type not supported by the capture filter")

// linkName names a link type as pcap does, e.g. "LINUX_SLL(113)".
func linkName(t layers.LinkType) string { return linktype.Name(t) }

// BSD AF_INET6 values a NULL header may carry (NetBSD/OpenBSD, FreeBSD,
// Darwin); libpcap checks all three when reading a file.
var nullAFInet6 = []uint32{24, 28, 30}

// cond emits a test: it jumps to t when it holds, to f when not.
type cond func(t, f int)

// gen compiles an expression for one link type.
type gen struct {
	asm
	expr     string
	link     layers.LinkType
	kind     linkKind
	offType  uint32 // the EtherType field (Ethernet, SLL, SLL2, NULL)
	offPL    uint32 // the network layer
	hasType  bool   // offType is meaningful
	scratch  int    // scratch cells in use
	err      *Error
	accepted int // label of the accepting return
}

func (g *gen) fail(pos int, format string, args ...any) {
	if g.err == nil {
		g.err = errAt(g.expr, pos, format, args...)
	}
}

// compile generates the program for root; the accepting return gives
// snaplen.
func compileFor(expr string, root node, link layers.LinkType, snaplen uint32) (*asm, error) {
	kind, ok := linkKinds[link]
	if !ok {
		return nil, fmt.Errorf("filter %q: %w: %s", expr, ErrLinkType, linkName(link))
	}
	g := &gen{expr: expr, link: link, kind: kind}
	switch kind {
	case lkEthernet:
		g.offType, g.offPL, g.hasType = 12, 14, true
	case lkSLL:
		g.offType, g.offPL, g.hasType = 14, 16, true
	case lkSLL2:
		g.offType, g.offPL, g.hasType = 0, 20, true
	case lkNull, lkLoop:
		g.offType, g.offPL, g.hasType = 0, 4, true
	}
	t, f := g.newLabel(), g.newLabel()
	g.node(root)(t, f)
	g.place(t)
	g.stmt(clsRET|retK, snaplen)
	g.place(f)
	g.stmt(clsRET|retK, 0)
	if g.err != nil {
		return nil, g.err
	}
	return &g.asm, nil
}

// Combinators. Each returns a cond that emits its parts in order.

func (g *gen) and(cs ...cond) cond { return g.chain(true, cs) }
func (g *gen) or(cs ...cond) cond  { return g.chain(false, cs) }

// chain emits cs in order; each but the last goes on to the next when it
// holds (and) or when it does not (or).
func (g *gen) chain(and bool, cs []cond) cond {
	return func(t, f int) {
		for _, c := range cs[:len(cs)-1] {
			m := g.newLabel()
			if and {
				c(m, f)
			} else {
				c(t, m)
			}
			g.place(m)
		}
		cs[len(cs)-1](t, f)
	}
}

func not(c cond) cond { return func(t, f int) { c(f, t) } }

func (g *gen) constant(v bool) cond {
	return func(t, f int) {
		if v {
			g.ja(t)
		} else {
			g.ja(f)
		}
	}
}

// cmp loads size bytes at the absolute offset off, masks them when mask is
// not all ones, and compares with v. A comparison under a zero mask is
// decided without loading anything, as libpcap's optimizer decides it (so
// "net 2001:db8::/32" does not read the last 12 bytes of the address).
func (g *gen) cmp(off uint32, size int, jop uint16, v, mask uint32) cond {
	if mask == 0 && jop == jmpJEQ {
		return g.constant(v == 0)
	}
	return func(t, f int) {
		g.stmt(clsLD|mdABS|sizeCode(size), off)
		if mask != 0xffffffff {
			g.stmt(clsALU|aluAND|srcK, mask)
		}
		g.jump(jop|srcK, v, t, f)
	}
}

func (g *gen) eq(off uint32, size int, v uint32) cond {
	return g.cmp(off, size, jmpJEQ, v, 0xffffffff)
}

// oneOf loads a field once (op: an absolute load at off, or an IPv4
// transport load at off past the IHL), masks it, and holds when it equals
// one of vs.
func (g *gen) oneOf(op uint16, off, mask uint32, vs []uint32) cond {
	if mask == 0 {
		return g.constant(true) // every v is already masked: all 0
	}
	return func(t, f int) {
		if op&0xe0 == mdIND {
			g.stmt(clsLDX|mdMSH|szB, g.offPL)
		}
		g.stmt(op, off)
		if mask != 0xffffffff {
			g.stmt(clsALU|aluAND|srcK, mask)
		}
		for i, v := range vs {
			if i == len(vs)-1 {
				g.jump(jmpJEQ|srcK, v, t, f)
				break
			}
			next := g.newLabel()
			g.jump(jmpJEQ|srcK, v, t, next)
			g.place(next)
		}
	}
}

// tran4 compares a field of the IPv4 transport header, past the IHL.
func (g *gen) tran4(off uint32, size int, jop uint16, v uint32) cond {
	pl := g.offPL
	return func(t, f int) {
		g.stmt(clsLDX|mdMSH|szB, pl)
		g.stmt(clsLD|mdIND|sizeCode(size), pl+off)
		g.jump(jop|srcK, v, t, f)
	}
}

// linktype tests the link layer for an EtherType (libpcap gen_linktype).
func (g *gen) linktype(etype uint32) cond {
	lt, pl := g.offType, g.offPL
	switch g.kind {
	case lkEthernet:
		if etype <= ethMTU {
			// An 802.3 frame (length, not type) whose 802.2 DSAP is etype.
			return g.and(not(g.cmp(lt, 2, jmpJGT, ethMTU, 0xffffffff)), g.eq(lt+2, 1, etype))
		}
		return g.eq(lt, 2, etype)
	case lkSLL:
		if etype <= ethMTU {
			return g.and(g.eq(lt, 2, 4), g.eq(pl, 1, etype)) // LINUX_SLL_P_802_2
		}
		return g.eq(lt, 2, etype)
	case lkSLL2:
		return g.eq(lt, 2, etype)
	case lkNull, lkLoop:
		var afs []uint32
		switch etype {
		case ethIP:
			afs = []uint32{2}
		case ethIPv6:
			afs = nullAFInet6
		default:
			return g.constant(false)
		}
		var cs []cond
		for _, af := range afs {
			cs = append(cs, g.eq(lt, 4, af))
			if g.kind == lkNull {
				// Host byte order of the machine that wrote the file:
				// accept either, as gopacket's decoder does.
				cs = append(cs, g.eq(lt, 4, swap32(af)))
			}
		}
		return g.or(cs...)
	case lkRaw:
		switch etype {
		case ethIP:
			return g.cmp(0, 1, jmpJEQ, 0x40, 0xf0)
		case ethIPv6:
			return g.cmp(0, 1, jmpJEQ, 0x60, 0xf0)
		}
		return g.constant(false)
	case lkIPv4:
		return g.constant(etype == ethIP)
	case lkIPv6:
		return g.constant(etype == ethIPv6)
	}
	panic("unreachable")
}

func swap32(v uint32) uint32 {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return binary.BigEndian.Uint32(b[:])
}

// ipfrag holds on an IPv4 packet that is not a fragment other than the
// first (libpcap gen_ipfrag).
func (g *gen) ipfrag() cond {
	return not(g.cmp(g.offPL+6, 2, jmpJSET, 0x1fff, 0xffffffff))
}

// node compiles an expression node.
func (g *gen) node(n node) cond {
	switch n := n.(type) {
	case trueNode:
		return g.constant(true)
	case binNode:
		// Build r only once l is emitted: a vlan in l moves r's offsets.
		return g.chain(n.and, []cond{g.node(n.l), func(t, f int) { g.node(n.r)(t, f) }})
	case notNode:
		return not(g.node(n.x))
	case hostNode:
		return g.host(n)
	case host6Node:
		return g.host6(n)
	case ehostNode:
		return g.ehost(n)
	case portNode:
		return g.port(n)
	case protoNode:
		return g.proto(n.proto, n.v)
	case abbrevNode:
		return g.abbrev(n.proto)
	case lenNode:
		c := func(jop uint16) cond {
			return func(t, f int) {
				g.stmt(clsLD|mdLEN|szW, 0)
				g.jump(jop|srcK, n.n, t, f)
			}
		}
		if n.greater {
			return c(jmpJGE)
		}
		return not(c(jmpJGT))
	case vlanNode:
		return g.vlan(n)
	case relNode:
		return g.relation(n)
	}
	panic(fmt.Sprintf("unknown node %T", n))
}
