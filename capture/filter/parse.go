package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The parser follows libpcap's grammar (grammar.y) by recursive descent:
//
//   - and and or have the same precedence and group from the left
//     ("tcp or udp and port 53" is "(tcp or udp) and port 53"); not binds
//     tighter;
//   - a bare value after and/or takes the qualifiers of the term before it
//     ("host a or b", "port 80 or 443"), as libpcap's $<blk>0 does; after a
//     parenthesized expression they are those in force before the
//     parenthesis; after a protocol name alone or a comparison there are
//     none, and a bare value is an error;
//   - in arithmetic, | & << >> + - * / bind as in C, and % and ^ (which the
//     grammar gives no precedence) take the operand just before them and
//     everything after them, as bison's default shift does.
type parser struct {
	expr string
	toks []token
	i    int
}

func parse(expr string) (node, *Error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{expr: expr, toks: toks}
	if p.peek().kind == tEOF {
		return trueNode{}, nil
	}
	n, _, err := p.parseExpr(qerr)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return merge(n), nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	return p.toks[p.i+k]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(pos int, format string, args ...any) *Error {
	return errAt(p.expr, pos, format, args...)
}

// unexpected describes a token that cannot come where it is.
func (p *parser) unexpected(t token) *Error {
	switch t.kind {
	case tEOF:
		if p.i > 0 {
			return p.errAt(t.pos, "syntax error: the expression ends after %q", p.toks[p.i-1].text)
		}
		return p.errAt(t.pos, "syntax error: empty expression")
	case tUnsupported:
		return p.errAt(t.pos, "%q is not supported", t.text)
	case tID, tHID, tHID6, tEID:
		return p.errAt(t.pos, "syntax error: %q needs a qualifier before it, such as host, net or port", t.text)
	case tNum:
		return p.errAt(t.pos, "syntax error: unexpected number %s", t.text)
	}
	return p.errAt(t.pos, "syntax error: unexpected %q", t.text)
}

func (p *parser) expect(op string) *Error {
	if t := p.peek(); t.kind != tPunct || t.text != op {
		return p.unexpected(t)
	}
	p.next()
	return nil
}

func (p *parser) isPunct(k int, ops ...string) bool {
	t := p.peekAt(k)
	if t.kind != tPunct {
		return false
	}
	for _, o := range ops {
		if t.text == o {
			return true
		}
	}
	return false
}

// parseExpr parses terms joined by and/or. prev is the qualifier in force
// before the expression; it returns the one in force after it.
func (p *parser) parseExpr(prev qual) (node, qual, *Error) {
	n, q, err := p.parseTerm(prev)
	if err != nil {
		return nil, q, err
	}
	for {
		t := p.peek()
		if t.kind != tAnd && t.kind != tOr {
			return n, q, nil
		}
		p.next()
		var r node
		if p.startsValue() {
			r, err = p.parseID(q)
		} else {
			r, q, err = p.parseTerm(q)
		}
		if err != nil {
			return nil, q, err
		}
		n = binNode{and: t.kind == tAnd, l: n, r: r}
	}
}

// startsValue tells whether a bare value (libpcap's id) comes next, possibly
// negated or parenthesized, rather than a term.
func (p *parser) startsValue() bool {
	k := 0
	for p.peekAt(k).kind == tNot || p.isPunct(k, "(") {
		k++
	}
	switch p.peekAt(k).kind {
	case tID, tHID, tHID6, tEID:
		return true
	case tNum:
		return !p.isPunct(k+1, "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>",
			"=", "!=", "<", "<=", ">", ">=")
	}
	return false
}

// parseTerm parses a primitive, a negated term or a parenthesized expression.
func (p *parser) parseTerm(prev qual) (node, qual, *Error) {
	t := p.peek()
	switch t.kind {
	case tNot:
		p.next()
		n, q, err := p.parseTerm(prev)
		if err != nil {
			return nil, q, err
		}
		return notNode{n}, q, nil
	case tPunct:
		switch t.text {
		case "(":
			// A parenthesized arithmetic expression or a parenthesized
			// filter expression: try the first, fall back on the second.
			save := p.i
			n, aerr := p.parseRelation()
			if aerr == nil {
				return n, qerr, nil
			}
			p.i = save
			p.next()
			n, _, err := p.parseExpr(prev)
			if err == nil {
				err = p.expect(")")
			}
			if err != nil {
				if aerr.Pos > err.Pos {
					err = aerr
				}
				return nil, prev, err
			}
			return n, prev, nil
		case "-":
			n, err := p.parseRelation()
			return n, qerr, err
		}
	case tNum, tLen:
		n, err := p.parseRelation()
		return n, qerr, err
	case tPname:
		nt := p.peekAt(1)
		switch {
		case nt.kind == tPunct && nt.text == "[":
			n, err := p.parseRelation()
			return n, qerr, err
		case nt.kind == tSrc || nt.kind == tDst || nt.kind == tHost || nt.kind == tNet ||
			nt.kind == tPort || nt.kind == tPortrange || nt.kind == tProto:
			return p.parseHeadID()
		case nt.kind == tUnsupported:
			return nil, qerr, p.unexpected(nt)
		}
		p.next()
		pr := pnames[t.text]
		if pr == qLink {
			return nil, qerr, p.errAt(t.pos, "%q alone is not a filter: say ether host, ether src, ether dst or ether proto", t.text)
		}
		return abbrevNode{pr}, qerr, nil
	case tSrc, tDst, tHost, tNet, tPort, tPortrange, tProto:
		return p.parseHeadID()
	case tLess, tGreater:
		p.next()
		n, _, err := p.number()
		if err != nil {
			return nil, qerr, err
		}
		return lenNode{greater: t.kind == tGreater, n: n}, qerr, nil
	case tVlan:
		p.next()
		if !p.startsNum() {
			return vlanNode{pos: t.pos}, qerr, nil
		}
		id, pos, err := p.parsePnum()
		if err != nil {
			return nil, qerr, err
		}
		if id > 0x0fff {
			return nil, qerr, p.errAt(pos, "VLAN tag %d greater than maximum 4095", id)
		}
		return vlanNode{id: id, has: true, pos: t.pos}, qerr, nil
	}
	return nil, prev, p.unexpected(t)
}

// startsNum tells whether a number, possibly parenthesized, comes next.
func (p *parser) startsNum() bool {
	k := 0
	for p.isPunct(k, "(") {
		k++
	}
	return p.peekAt(k).kind == tNum
}

// parsePnum parses a number or a parenthesized one (libpcap's pnum).
func (p *parser) parsePnum() (uint32, int, *Error) {
	if p.isPunct(0, "(") {
		p.next()
		v, pos, err := p.parsePnum()
		if err == nil {
			err = p.expect(")")
		}
		return v, pos, err
	}
	return p.number()
}

// number consumes a number.
func (p *parser) number() (uint32, int, *Error) {
	t := p.peek()
	if t.kind != tNum {
		return 0, t.pos, p.unexpected(t)
	}
	p.next()
	if t.err != "" {
		return 0, t.pos, p.errAt(t.pos, "%s", t.err)
	}
	return t.num, t.pos, nil
}

// parseHeadID parses qualifiers and the value they apply to.
func (p *parser) parseHeadID() (node, qual, *Error) {
	q := qual{}
	if t := p.peek(); t.kind == tPname {
		p.next()
		q.proto = pnames[t.text]
	}
	if t := p.peek(); t.kind == tSrc || t.kind == tDst {
		p.next()
		q.dir = dSrc
		if t.kind == tDst {
			q.dir = dDst
		}
		// "src or dst", "dst and src", ...
		if c := p.peek(); (c.kind == tAnd || c.kind == tOr) &&
			(p.peekAt(1).kind == tSrc || p.peekAt(1).kind == tDst) && p.peekAt(1).kind != t.kind {
			p.next()
			p.next()
			q.dir = dOr
			if c.kind == tAnd {
				q.dir = dAnd
			}
		}
	}
	switch t := p.peek(); t.kind {
	case tHost:
		q.addr = aHost
	case tNet:
		q.addr = aNet
	case tPort:
		q.addr = aPort
	case tPortrange:
		q.addr = aPortrange
	case tProto:
		if q.dir != dDefault {
			return nil, q, p.unexpected(t)
		}
		q.addr = aProto
	case tUnsupported:
		return nil, q, p.unexpected(t)
	}
	if q.addr != aDefault {
		p.next()
	}
	n, err := p.parseID(q)
	return n, q, err
}

// parseID parses a value under the qualifiers q: a number, an address, a
// name, "not" and a value, or values joined by and/or in parentheses.
func (p *parser) parseID(q qual) (node, *Error) {
	t := p.next()
	switch t.kind {
	case tNot:
		n, err := p.parseID(q)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case tPunct:
		if t.text != "(" {
			break
		}
		n, err := p.parseID(q)
		for err == nil {
			c := p.peek()
			if c.kind != tAnd && c.kind != tOr {
				break
			}
			p.next()
			var r node
			r, err = p.parseID(q)
			n = binNode{and: c.kind == tAnd, l: n, r: r}
		}
		if err == nil {
			err = p.expect(")")
		}
		return n, err
	case tNum:
		p.i--
		if _, _, err := p.number(); err != nil {
			return nil, err
		}
		return p.numValue(t, q)
	case tHID:
		switch {
		case p.isPunct(0, "/"):
			p.next()
			n, _, err := p.number()
			if err != nil {
				return nil, err
			}
			return p.maskedValue(t, q, n, "")
		case p.peek().kind == tMask:
			p.next()
			m := p.next()
			if m.kind != tHID {
				p.i--
				return nil, p.unexpected(m)
			}
			return p.maskedValue(t, q, 0, m.text)
		}
		return p.addrValue(t, q)
	case tHID6:
		masklen := uint32(128)
		if p.isPunct(0, "/") {
			p.next()
			n, _, err := p.number()
			if err != nil {
				return nil, err
			}
			masklen = n
		} else if p.peek().kind == tMask {
			return nil, p.errAt(p.peek().pos, "no mask %s supported", p.peekAt(1).text)
		}
		return p.addr6Value(t, q, masklen)
	case tEID:
		return p.etherValue(t, q)
	case tID:
		return p.nameValue(t, q)
	}
	p.i--
	return nil, p.unexpected(t)
}

// numValue is a number under qualifiers (libpcap gen_ncode with no string).
func (p *parser) numValue(t token, q qual) (node, *Error) {
	v := t.num
	switch q.addr {
	case aDefault, aHost, aNet:
		if q.proto == qLink {
			return nil, p.errAt(t.pos, "illegal link layer address")
		}
		mask := uint32(0xffffffff)
		if q.addr == aNet {
			// "net 10" is 10.0.0.0/8: promote a short network number.
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		}
		return p.host(t, q, v, mask)
	case aPort, aPortrange:
		return p.port(t, q, v, v)
	case aProto:
		return p.protoValue(t, q, v)
	}
	return nil, p.errAt(t.pos, "syntax error: %s needs a qualifier before it, such as host or port", t.text)
}

// addrValue is a dotted IPv4 address or a short prefix such as 10.1
// (libpcap gen_ncode with a string).
func (p *parser) addrValue(t token, q qual) (node, *Error) {
	v, bits, ok := atoin(t.text)
	if !ok {
		return nil, p.errAt(t.pos, "invalid IPv4 address '%s'", t.text)
	}
	switch q.addr {
	case aDefault, aHost, aNet:
		if q.proto == qLink {
			return nil, p.errAt(t.pos, "illegal link layer address")
		}
		// "host 10.1" and "net 10.1" are 10.1.0.0/16.
		return p.host(t, q, v<<(32-bits), uint32(0xffffffff)<<(32-bits))
	case aPort:
		return nil, p.errAt(t.pos, "'port' modifier applied to ip host")
	case aPortrange:
		return nil, p.errAt(t.pos, "'portrange' modifier applied to ip host")
	case aProto:
		return nil, p.errAt(t.pos, "'proto' modifier applied to ip host")
	}
	return nil, p.errAt(t.pos, "syntax error: %q needs a qualifier before it, such as host or net", t.text)
}

// maskedValue is "A/len" or "A mask M" (libpcap gen_mcode).
func (p *parser) maskedValue(t token, q qual, masklen uint32, maskText string) (node, *Error) {
	n, nbits, ok := atoin(t.text)
	if !ok {
		return nil, p.errAt(t.pos, "invalid IPv4 address '%s'", t.text)
	}
	n <<= 32 - nbits
	var m uint32
	what := ""
	if maskText != "" {
		mv, mbits, ok := atoin(maskText)
		if !ok {
			return nil, p.errAt(t.pos, "invalid IPv4 address '%s'", maskText)
		}
		m = mv << (32 - mbits)
		what = t.text + " mask " + maskText
	} else {
		if masklen > 32 {
			return nil, p.errAt(t.pos, "mask length must be <= 32")
		}
		if masklen > 0 {
			m = 0xffffffff << (32 - masklen)
		}
		what = t.text + "/" + strconv.Itoa(int(masklen))
	}
	if n&^m != 0 {
		return nil, p.errAt(t.pos, "non-network bits set in \"%s\"", what)
	}
	if q.addr != aNet {
		return nil, p.errAt(t.pos, "Mask syntax for networks only")
	}
	return p.host(t, q, n, m)
}

// host builds an IPv4 host or network test (libpcap gen_host).
func (p *parser) host(t token, q qual, addr, mask uint32) (node, *Error) {
	typ := "host"
	if q.addr == aNet {
		typ = "net"
	}
	switch q.proto {
	case qDefault, qIP, qARP, qRARP:
		return hostNode{proto: q.proto, dir: q.dir, addrs: []uint32{addr}, mask: mask}, nil
	case qIP6:
		return nil, p.errAt(t.pos, "'ip6' modifier applied to ip host")
	case qLink:
		return nil, p.errAt(t.pos, "link-layer modifier applied to %s", typ)
	}
	return nil, p.errAt(t.pos, "'%s' modifier applied to %s", q.proto, typ)
}

// addr6Value is an IPv6 address or prefix (libpcap gen_mcode6).
func (p *parser) addr6Value(t token, q qual, masklen uint32) (node, *Error) {
	a, err := netip.ParseAddr(t.text)
	if err != nil || !a.Is6() {
		return nil, p.errAt(t.pos, "invalid ip6 address %s", t.text)
	}
	if masklen > 128 {
		return nil, p.errAt(t.pos, "mask length must be <= 128")
	}
	addr := a.As16()
	var mask [16]byte
	for i := range mask {
		switch {
		case uint32(i*8+8) <= masklen:
			mask[i] = 0xff
		case uint32(i*8) < masklen:
			mask[i] = byte(0xff << (8 - masklen%8))
		}
		if addr[i]&^mask[i] != 0 {
			return nil, p.errAt(t.pos, "non-network bits set in \"%s/%d\"", t.text, masklen)
		}
	}
	switch q.addr {
	case aDefault, aHost:
		if masklen != 128 {
			return nil, p.errAt(t.pos, "Mask syntax for networks only")
		}
	case aNet:
	default:
		return nil, p.errAt(t.pos, "invalid qualifier against IPv6 address")
	}
	typ := "host"
	if q.addr == aNet {
		typ = "net"
	}
	switch q.proto {
	case qDefault, qIP6:
		return host6Node{dir: q.dir, addr: addr, mask: mask}, nil
	case qLink:
		return nil, p.errAt(t.pos, "link-layer modifier applied to ip6 %s", typ)
	}
	return nil, p.errAt(t.pos, "'%s' modifier applied to ip6 %s", q.proto, typ)
}

// etherValue is a MAC address (libpcap gen_ecode).
func (p *parser) etherValue(t token, q qual) (node, *Error) {
	if t.err != "" {
		return nil, p.errAt(t.pos, "%s", t.err)
	}
	if (q.addr != aHost && q.addr != aDefault) || q.proto != qLink {
		return nil, p.errAt(t.pos, "ethernet address used in non-ether expression")
	}
	mac, ok := etherAton(t.text)
	if !ok {
		return nil, p.errAt(t.pos, "bogus ethernet address %s", t.text)
	}
	return ehostNode{dir: q.dir, mac: mac, pos: t.pos}, nil
}

// nameValue is a name: a port range "lo-hi" or a protocol name; host and
// port names are not looked up.
func (p *parser) nameValue(t token, q qual) (node, *Error) {
	switch q.addr {
	case aPortrange:
		lo, hi, ok := portRange(t.text)
		if !ok {
			return nil, p.errAt(t.pos, "%q: port names are not supported, give numbers (portrange 1024-65535)", t.text)
		}
		return p.port(t, q, lo, hi)
	case aPort:
		return nil, p.errAt(t.pos, "%q: port names are not supported, give the number", t.text)
	case aProto:
		var v uint32
		var ok bool
		switch q.proto {
		case qDefault, qIP, qIP6:
			v, ok = ipProtoNames[t.text]
			if !ok {
				return nil, p.errAt(t.pos, "unknown ip proto '%s'", t.text)
			}
		case qLink:
			v, ok = etherProtoNames[t.text]
			if !ok {
				return nil, p.errAt(t.pos, "unknown ether proto '%s'", t.text)
			}
		default:
			return nil, p.errAt(t.pos, "unknown protocol: %s", t.text)
		}
		return p.protoValue(t, q, v)
	case aUndef:
		return nil, p.errAt(t.pos, "syntax error: %q needs a qualifier before it, such as host or port", t.text)
	}
	if q.proto == qLink {
		return nil, p.errAt(t.pos, "%q: Ethernet host names are not supported, give the address", t.text)
	}
	return nil, p.errAt(t.pos, "%q: host names are not supported, give the address", t.text)
}

// port builds a port or port range test (libpcap gen_port, gen_portrange).
func (p *parser) port(t token, q qual, lo, hi uint32) (node, *Error) {
	what := "port"
	if q.addr == aPortrange {
		what = "portrange"
	}
	var ipp int
	switch q.proto {
	case qDefault:
		ipp = protoUndef
	case qTCP:
		ipp = ipprotoTCP
	case qUDP:
		ipp = ipprotoUDP
	case qSCTP:
		ipp = ipprotoSCTP
	default:
		return nil, p.errAt(t.pos, "illegal qualifier of '%s'", what)
	}
	for _, v := range []uint32{lo, hi} {
		if v > 65535 {
			return nil, p.errAt(t.pos, "illegal port number %d > 65535", v)
		}
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	n := portNode{ipProto: ipp, dir: q.dir, lo: lo, hi: hi}
	if lo == hi && q.addr == aPort {
		n.ports = []uint32{lo}
	}
	return n, nil
}

// protoValue builds "[ip|ip6|ether] proto N" (libpcap gen_proto).
func (p *parser) protoValue(t token, q qual, v uint32) (node, *Error) {
	if q.dir != dDefault {
		return nil, p.errAt(t.pos, "direction applied to 'proto'")
	}
	switch q.proto {
	case qDefault, qIP, qIP6:
		return protoNode{proto: q.proto, v: v}, nil
	case qLink:
		switch v {
		case 0x06, 0xf0, 0xfe, 0xe0, 0x809b, 0x80f3:
			// LLC-encapsulated IP, NetBEUI, OSI, IPX, AppleTalk: libpcap
			// checks 802.2 and SNAP headers for these.
			return nil, p.errAt(t.pos, "ether proto %#x (an 802.2 LLC or SNAP protocol) is not supported", v)
		}
		return protoNode{proto: qLink, v: v}, nil
	case qARP, qRARP:
		return nil, p.errAt(t.pos, "%s does not encapsulate another protocol", q.proto)
	}
	return nil, p.errAt(t.pos, "'%s proto' is bogus", q.proto)
}

// atoin reads a dotted IPv4 address or prefix as libpcap's __pcap_atoin
// does: the value of its parts, and 8 bits per part.
func atoin(s string) (uint32, uint32, bool) {
	var v, bits uint32
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.ParseUint(part, 10, 32)
		if err != nil || n > 255 {
			return 0, 0, false
		}
		v = v<<8 | uint32(n)
		bits += 8
	}
	return v, bits, true
}

// etherAton reads xx:xx:xx:xx:xx:xx (or with - or .), xxxx.xxxx.xxxx or
// xxxxxxxxxxxx.
func etherAton(s string) ([6]byte, bool) {
	var mac [6]byte
	hex := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	i := 0
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' || r == '.' }) {
		if len(part)%2 == 1 {
			part = "0" + part
		}
		for j := 0; j < len(part); j += 2 {
			hi, ok1 := hex(part[j])
			lo, ok2 := hex(part[j+1])
			if !ok1 || !ok2 || i >= 6 {
				return mac, false
			}
			mac[i] = hi<<4 | lo
			i++
		}
	}
	return mac, i == 6
}

// portRange reads "lo-hi" with numeric ports.
func portRange(s string) (uint32, uint32, bool) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(lo, 10, 32)
	b, err2 := strconv.ParseUint(hi, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(a), uint32(b), true
}

// Arithmetic.

// parseRelation parses "arth relop arth".
func (p *parser) parseRelation() (node, *Error) {
	l, err := p.parseArth(0)
	if err != nil {
		return nil, err
	}
	t := p.peek()
	var n relNode
	switch {
	case t.kind == tPunct && t.text == ">":
		n = relNode{op: relGT}
	case t.kind == tPunct && t.text == ">=":
		n = relNode{op: relGE}
	case t.kind == tPunct && t.text == "=":
		n = relNode{op: relEQ}
	case t.kind == tPunct && t.text == "<=":
		n = relNode{op: relGT, not: true}
	case t.kind == tPunct && t.text == "<":
		n = relNode{op: relGE, not: true}
	case t.kind == tPunct && t.text == "!=":
		n = relNode{op: relEQ, not: true}
	default:
		if t.kind == tEOF || t.kind == tAnd || t.kind == tOr || (t.kind == tPunct && t.text == ")") {
			return nil, p.errAt(t.pos, "syntax error: a comparison (=, !=, <, <=, >, >=) must follow the arithmetic expression")
		}
		return nil, p.unexpected(t)
	}
	p.next()
	r, err := p.parseArth(0)
	if err != nil {
		return nil, err
	}
	n.l, n.r = l, r
	return n, nil
}

// binary operators by precedence level, lowest first.
var arthLevels = [][]string{{"|"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/"}}

var arthOps = map[string]aluOp{
	"+": opAdd, "-": opSub, "*": opMul, "/": opDiv, "%": opMod,
	"&": opAnd, "|": opOr, "^": opXor, "<<": opLsh, ">>": opRsh,
}

// parseArth parses a left-associative chain at the given precedence level.
func (p *parser) parseArth(level int) (arth, *Error) {
	if level == len(arthLevels) {
		return p.parseUnary()
	}
	l, err := p.parseArth(level + 1)
	if err != nil {
		return nil, err
	}
	for p.isPunct(0, arthLevels[level]...) {
		t := p.next()
		r, err := p.parseArth(level + 1)
		if err != nil {
			return nil, err
		}
		if l, err = p.binArth(t, l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) binArth(t token, l, r arth) (arth, *Error) {
	op := arthOps[t.text]
	// libpcap refuses these when the right operand is a literal number.
	if n, ok := r.(numArth); ok {
		switch {
		case op == opDiv && n.v == 0:
			return nil, p.errAt(t.pos, "division by zero")
		case op == opMod && n.v == 0:
			return nil, p.errAt(t.pos, "modulus by zero")
		case (op == opLsh || op == opRsh) && n.v > 31:
			return nil, p.errAt(t.pos, "shift by more than 31 bits")
		}
	}
	return binArth{op: op, l: l, r: r}, nil
}

// parseUnary parses a negation or a primary, and a % or ^ after it.
func (p *parser) parseUnary() (arth, *Error) {
	var a arth
	if p.isPunct(0, "-") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return negArth{x}, nil
	}
	a, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for p.isPunct(0, "%", "^") {
		t := p.next()
		r, err := p.parseArth(0)
		if err != nil {
			return nil, err
		}
		if a, err = p.binArth(t, a, r); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (p *parser) parsePrimary() (arth, *Error) {
	t := p.next()
	switch t.kind {
	case tNum:
		p.i--
		v, _, err := p.number()
		if err != nil {
			return nil, err
		}
		return numArth{v}, nil
	case tLen:
		return lenArth{}, nil
	case tPunct:
		if t.text == "(" {
			a, err := p.parseArth(0)
			if err == nil {
				err = p.expect(")")
			}
			return a, err
		}
	case tPname:
		if !p.isPunct(0, "[") {
			break
		}
		pr := pnames[t.text]
		switch pr {
		case qAH, qESP:
			return nil, p.errAt(t.pos, "unsupported index operation")
		}
		p.next()
		idx, err := p.parseArth(0)
		if err != nil {
			return nil, err
		}
		size := 1
		if p.isPunct(0, ":") {
			p.next()
			n, pos, err := p.number()
			if err != nil {
				return nil, err
			}
			if n != 1 && n != 2 && n != 4 {
				return nil, p.errAt(pos, "data size must be 1, 2, or 4")
			}
			size = int(n)
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		return loadArth{proto: pr, idx: idx, size: size}, nil
	}
	p.i--
	if t.kind == tEOF {
		return nil, p.unexpected(t)
	}
	return nil, p.errAt(t.pos, "syntax error: unexpected %q in an arithmetic expression", t.text)
}

// Error is a filter expression that cannot be compiled, or cannot be compiled
// for a link type.
type Error struct {
	Expr string // the whole expression
	Pos  int    // byte offset of the part at fault; its column is Pos+1
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("filter %q: %s (at column %d)", e.Expr, e.Msg, e.Pos+1)
}

func errAt(expr string, pos int, format string, args ...any) *Error {
	return &Error{Expr: expr, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
