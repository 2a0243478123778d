package filter

import "encoding/binary"

// Primitives, each as libpcap's gencode.c builds it.

// dirs combines a source and a destination test by the direction.
func (g *gen) dirs(d dir, src, dst func() cond) cond {
	switch d {
	case dSrc:
		return src()
	case dDst:
		return dst()
	case dAnd:
		return g.and(src(), dst())
	}
	return g.or(src(), dst())
}

// host: IPv4 (addresses at 12 and 16), ARP and RARP (sender and target
// protocol addresses at 14 and 24).
func (g *gen) host(n hostNode) cond {
	op := func(etype, srcOff, dstOff uint32) cond {
		at := func(off uint32) func() cond {
			return func() cond {
				return g.and(g.linktype(etype), g.oneOf(clsLD|mdABS|szW, g.offPL+off, n.mask, n.addrs))
			}
		}
		return g.dirs(n.dir, at(srcOff), at(dstOff))
	}
	switch n.proto {
	case qIP:
		return op(ethIP, 12, 16)
	case qARP:
		return op(ethARP, 14, 24)
	case qRARP:
		return op(ethRARP, 14, 24)
	}
	return g.or(op(ethIP, 12, 16), op(ethARP, 14, 24), op(ethRARP, 14, 24))
}

// host6: addresses at 8 and 24, compared word by word.
func (g *gen) host6(n host6Node) cond {
	at := func(off uint32) func() cond {
		return func() cond {
			cs := []cond{g.linktype(ethIPv6)}
			for i := uint32(0); i < 16; i += 4 {
				cs = append(cs, g.cmp(g.offPL+off+i, 4, jmpJEQ,
					binary.BigEndian.Uint32(n.addr[i:]), binary.BigEndian.Uint32(n.mask[i:])))
			}
			return g.and(cs...)
		}
	}
	return g.dirs(n.dir, at(8), at(24))
}

// ehost: Ethernet destination at 0, source at 6 (last four bytes first, as
// libpcap's gen_bcmp).
func (g *gen) ehost(n ehostNode) cond {
	if g.kind != lkEthernet {
		g.fail(n.pos, "Ethernet addresses are supported only on Ethernet, not on %s", linkName(g.link))
		return g.constant(false)
	}
	at := func(off uint32) func() cond {
		return func() cond {
			return g.and(g.eq(off+2, 4, binary.BigEndian.Uint32(n.mac[2:])),
				g.eq(off, 2, uint32(binary.BigEndian.Uint16(n.mac[:2]))))
		}
	}
	return g.dirs(n.dir, at(6), at(0))
}

// port: over IPv6 first, then IPv4 (libpcap or's gen_port6 before gen_port).
// With no protocol, SCTP, TCP and UDP, in libpcap's order.
func (g *gen) port(n portNode) cond {
	protos := []uint32{uint32(n.ipProto)}
	if n.ipProto == protoUndef {
		protos = []uint32{ipprotoSCTP, ipprotoTCP, ipprotoUDP}
	}
	// between tests a 16-bit field against the ports or lo..hi; load
	// emits the load and one comparison.
	between := func(load func(jop uint16, v uint32) cond, list cond) cond {
		if n.ports != nil {
			return list
		}
		return g.and(load(jmpJGE, n.lo), not(load(jmpJGT, n.hi)))
	}
	var v6, v4 []cond
	for _, p := range protos {
		at6 := func(off uint32) func() cond {
			return func() cond {
				return between(func(jop uint16, v uint32) cond { return g.cmp(g.offPL+40+off, 2, jop, v, 0xffffffff) },
					g.oneOf(clsLD|mdABS|szH, g.offPL+40+off, 0xffffffff, n.ports))
			}
		}
		v6 = append(v6, g.and(g.eq(g.offPL+6, 1, p), g.dirs(n.dir, at6(0), at6(2))))
		at4 := func(off uint32) func() cond {
			return func() cond {
				return between(func(jop uint16, v uint32) cond { return g.tran4(off, 2, jop, v) },
					g.oneOf(clsLD|mdIND|szH, g.offPL+off, 0xffffffff, n.ports))
			}
		}
		v4 = append(v4, g.and(g.eq(g.offPL+9, 1, p), g.ipfrag(), g.dirs(n.dir, at4(0), at4(2))))
	}
	return g.or(g.and(g.linktype(ethIPv6), g.or(v6...)), g.and(g.linktype(ethIP), g.or(v4...)))
}

// proto: "ip proto", "ip6 proto" (the next header, or the one after a
// fragment header), "ether proto", or ip or ip6 for "proto".
func (g *gen) proto(q proto, v uint32) cond {
	switch q {
	case qLink:
		return g.linktype(v)
	case qIP:
		return g.and(g.linktype(ethIP), g.eq(g.offPL+9, 1, v))
	case qIP6:
		return g.and(g.linktype(ethIPv6), g.or(g.eq(g.offPL+6, 1, v),
			g.and(g.eq(g.offPL+6, 1, ipprotoFrag), g.eq(g.offPL+40, 1, v))))
	}
	return g.or(g.proto(qIP, v), g.proto(qIP6, v))
}

// abbrevs are the protocol names that stand for "proto N" (in IPv4, IPv6
// or either), as libpcap's gen_proto_abbrev defines them.
var abbrevs = map[proto]struct {
	in proto
	v  uint32
}{
	qTCP: {qDefault, ipprotoTCP}, qUDP: {qDefault, ipprotoUDP}, qSCTP: {qDefault, ipprotoSCTP},
	qPIM: {qDefault, ipprotoPIM}, qAH: {qDefault, ipprotoAH}, qESP: {qDefault, ipprotoESP},
	qICMP: {qIP, ipprotoICMP}, qIGMP: {qIP, ipprotoIGMP}, qIGRP: {qIP, ipprotoIGRP},
	qVRRP: {qIP, ipprotoVRRP}, qCARP: {qIP, ipprotoVRRP}, qICMP6: {qIP6, ipprotoICMPv6},
}

// abbrevTypes are the protocol names that stand for an EtherType.
var abbrevTypes = map[proto]uint32{qIP: ethIP, qIP6: ethIPv6, qARP: ethARP, qRARP: ethRARP}

// abbrev: a protocol name alone.
func (g *gen) abbrev(p proto) cond {
	if etype, ok := abbrevTypes[p]; ok {
		return g.linktype(etype)
	}
	a := abbrevs[p]
	return g.proto(a.in, a.v)
}

// vlan: an 802.1Q, 802.1ad or old QinQ (0x9100) tag, with its VLAN ID when
// given; then every later test looks 4 bytes further.
func (g *gen) vlan(n vlanNode) cond {
	if g.kind != lkEthernet {
		g.fail(n.pos, "vlan is supported only on Ethernet, not on %s", linkName(g.link))
		return g.constant(false)
	}
	c := g.or(g.linktype(eth8021Q), g.linktype(eth8021AD), g.linktype(ethQinQ))
	if n.has {
		c = g.and(c, g.cmp(g.offPL, 2, jmpJEQ, n.id, 0x0fff))
	}
	g.offPL += 4
	g.offType += 4
	return c
}

// isTransport tells whether p[...] indexes the IPv4 transport header.
func isTransport(p proto) bool {
	switch p {
	case qTCP, qUDP, qSCTP, qICMP, qIGMP, qIGRP, qPIM, qVRRP, qCARP:
		return true
	}
	return false
}

// guards are the tests a load needs before it is made, in libpcap's order
// (gen_load and gen_arth; see the package comment on "a + b").
func (g *gen) guards(a arth) []cond {
	switch a := a.(type) {
	case loadArth:
		inner := g.guards(a.idx)
		switch {
		case a.proto == qLink:
			return inner
		case a.proto == qICMP6:
			return append(inner, g.abbrev(qIP6), g.eq(g.offPL+6, 1, ipprotoICMPv6))
		case isTransport(a.proto):
			cs := append([]cond{g.abbrev(qIP)}, inner...)
			return append(cs, g.abbrev(a.proto), g.ipfrag())
		}
		return append(inner, g.abbrev(a.proto))
	case binArth:
		return g.guards(a.l)
	case negArth:
		return g.guards(a.x)
	}
	return nil
}

// relation: the guards of both sides, then the comparison.
func (g *gen) relation(n relNode) cond {
	cs := append(g.guards(n.l), g.guards(n.r)...)
	jop := map[relop]uint16{relGT: jmpJGT, relGE: jmpJGE, relEQ: jmpJEQ}[n.op]
	var cmp cond = func(t, f int) {
		g.operands(n.l, n.r, func(src uint16, k uint32) { g.jump(jop|src, k, t, f) })
	}
	if n.not {
		cmp = not(cmp)
	}
	return g.and(append(cs, cmp)...)
}

// operands leaves l in A and r in X, then calls emit with srcX; when r is
// a literal it leaves only l and passes r to emit as k, with srcK.
func (g *gen) operands(l, r arth, emit func(src uint16, k uint32)) {
	if k, ok := r.(numArth); ok {
		g.arith(l)
		emit(srcK, k.v)
		return
	}
	g.arith(r)
	m := g.alloc()
	g.stmt(clsST, m)
	g.arith(l)
	g.stmt(clsLDX|mdMEM, m)
	g.free()
	emit(srcX, 0)
}

func (g *gen) alloc() uint32 {
	if g.scratch == memWords {
		g.fail(0, "too many registers needed to evaluate expression")
		return 0
	}
	g.scratch++
	return uint32(g.scratch - 1)
}

func (g *gen) free() { g.scratch-- }

var aluCodes = map[aluOp]uint16{
	opAdd: aluADD, opSub: aluSUB, opMul: aluMUL, opDiv: aluDIV, opMod: aluMOD,
	opAnd: aluAND, opOr: aluOR, opXor: aluXOR, opLsh: aluLSH, opRsh: aluRSH,
}

// arith emits code that leaves the value of a in A.
func (g *gen) arith(a arth) {
	switch a := a.(type) {
	case numArth:
		g.stmt(clsLD|mdIMM, a.v)
	case lenArth:
		g.stmt(clsLD|mdLEN|szW, 0)
	case negArth:
		g.arith(a.x)
		g.stmt(clsALU|aluNEG, 0)
	case binArth:
		// A literal right operand is never 0 for / and %, never > 31 for
		// shifts: parse refused those.
		g.operands(a.l, a.r, func(src uint16, k uint32) { g.stmt(clsALU|aluCodes[a.op]|src, k) })
	case loadArth:
		g.load(a)
	}
}

// load emits proto[idx:size] into A.
func (g *gen) load(a loadArth) {
	sz := sizeCode(a.size)
	if isTransport(a.proto) {
		pl := g.offPL
		if k, ok := a.idx.(numArth); ok && k.v <= 0xffffffff-pl {
			g.stmt(clsLDX|mdMSH|szB, pl)
			g.stmt(clsLD|mdIND|sz, pl+k.v)
			return
		}
		g.arith(a.idx)
		m := g.alloc()
		g.stmt(clsST, m)
		g.stmt(clsLDX|mdMSH|szB, pl)
		g.stmt(clsLD|mdMEM, m)
		g.free()
		g.stmt(clsALU|aluADD|srcX, 0)
		g.stmt(clsMISC|miscTAX, 0)
		g.stmt(clsLD|mdIND|sz, pl)
		return
	}
	var base uint32
	switch a.proto {
	case qLink:
		base = 0
	case qICMP6:
		base = g.offPL + 40
	default:
		base = g.offPL
	}
	if k, ok := a.idx.(numArth); ok && k.v <= 0xffffffff-base {
		g.stmt(clsLD|mdABS|sz, base+k.v)
		return
	}
	g.arith(a.idx)
	g.stmt(clsMISC|miscTAX, 0)
	g.stmt(clsLD|mdIND|sz, base)
}
