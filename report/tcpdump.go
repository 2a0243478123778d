package report

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/capture"
)

// AppendTcpdump appends the lines `tcpdump -nn -S -vvv -r FILE` prints for
// one frame (tcpdump 4.99), so that a reader can go between the two tools:
// the time (UTC, to the microsecond), the IP header line, the TCP line with
// flags, checksum (correct or incorrect, and the right value), absolute
// sequence numbers, window, options and length, and for HTTP, FTP, SMTP,
// RTSP and SSH the text lines tcpdump shows. The link layers, network and
// transport protocols tcpflow does not print are shown as tcpdump shows
// protocols it does not know (docs/tcpdump-format.md lists them).
//
// The printer reads the frame's bytes by tcpdump's rules, not by what
// tcpflow's decoder found in them, since the two differ on purpose (tunnels
// by UDP port, lengths); a header cut short ends the line with " [|proto]",
// as tcpdump ends it.
func AppendTcpdump(dst []byte, f *capture.Frame) []byte {
	p := tdPrinter{b: dst, data: f.Data, end: len(f.Data)}
	p.b = time.Unix(0, f.Time).UTC().AppendFormat(p.b, "15:04:05.000000 ")
	p.frame(f)
	return append(p.b, '\n')
}

// tdPrinter prints one frame the way tcpdump's printers do. Like tcpdump's
// "snapend", end is how far the bytes of the datagram being printed may be
// read; reading past it is a truncation, which ends the frame (tcpdump
// longjmps out of its printers) with " [|proto]".
type tdPrinter struct {
	b     []byte
	data  []byte
	end   int
	proto string
}

// tdTrunc is the panic value of a read past end.
type tdTrunc struct{}

func (p *tdPrinter) frame(f *capture.Frame) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(tdTrunc); !ok {
				panic(r)
			}
			p.trunc()
		}
	}()
	wire := f.WireLen
	switch f.Link {
	case layers.LinkTypeEthernet:
		p.ether(0, wire)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		p.loop(wire)
	case layers.LinkTypeRaw, 12, 14:
		p.ipN(0, wire)
	case layers.LinkTypeIPv4:
		p.ip(0, wire)
	case layers.LinkTypeIPv6:
		p.ip6(0, wire)
	case layers.LinkTypeLinuxSLL:
		p.proto = "sll"
		p.need(0, 16)
		p.sllPayload(16, wire-16, p.u16(14))
	case layers.LinkTypeLinuxSLL2:
		p.proto = "sll2"
		p.need(0, 20)
		// tcpdump names the interface by the index on the machine that
		// reads the file; tcpflow prints what tcpdump prints where that
		// index has no interface.
		p.pad("?", 5)
		p.pad(tdTok(sllPacketTypes, uint(p.u8(10)), "?"), 3)
		p.sllPayload(20, wire-20, p.u16(0))
	case layers.LinkTypeC_HDLC:
		p.chdlc(wire)
	case layers.LinkTypeFDDI:
		p.proto = "fddi"
		p.need(0, 13)
		if fc := p.data[0]; fc&^0x87 == 0x50 { // an LLC frame
			p.llc(13, wire-13)
		} else {
			p.str("[FDDI frame control 0x" + strconv.FormatUint(uint64(fc), 16) + ": not printed by tcpflow]")
		}
	case 242: // LINKTYPE_IPOIB
		p.proto = "ipoib"
		if len(p.data) < 44 || wire < 44 {
			p.trunc()
			return
		}
		if typ := p.u16(40); !p.ethertype(typ, 44, wire-44) {
			p.str("[IPoIB EtherType 0x" + hex4(typ) + ": not printed by tcpflow]")
		}
	case 239: // LINKTYPE_NFLOG
		p.nflog(wire)
	case layers.LinkTypePPP:
		p.ppp(0, wire)
	case layers.LinkTypePPP_HDLC:
		p.pppHDLC(wire)
	case layers.LinkTypePPPEthernet:
		p.pppoe(0, wire)
	case 129: // LINKTYPE_ARCNET_LINUX
		p.arcnet(wire)
	default:
		p.str("[link type " + capture.LinkName(f.Link) + ": not printed by tcpflow]")
	}
}

// arcnet prints a Linux ARCNET frame as tcpdump does without -e: the IP
// packet alone (the header's layout is capture.parseARCNET's).
func (p *tdPrinter) arcnet(length int) {
	p.proto = "arcnet"
	p.need(0, 5)
	id, n := p.data[4], 8
	if id == 240 || id == 241 || id == 0x80 {
		n = 5
	} else {
		p.need(0, 8)
		if p.data[5] == 0xff { // an exception packet
			p.need(0, 12)
			id, n = p.data[8], 12
		}
		if split := p.data[n-3]; split != 0 {
			p.str("[ARCNET fragment: not printed by tcpflow]")
			return
		}
	}
	switch id {
	case 240, 212:
		p.ip(n, length-n)
	case 196:
		p.ip6(n, length-n)
	default:
		p.str("[ARCNET protocol " + strconv.Itoa(int(id)) + ": not printed by tcpflow]")
	}
}

// chdlc prints a Cisco HDLC frame: what its EtherType announces.
func (p *tdPrinter) chdlc(length int) {
	p.proto = "chdlc"
	if length < 4 {
		p.trunc()
		return
	}
	typ := p.u16(2)
	switch typ {
	case etherIPv4:
		p.ip(4, length-4)
	case etherIPv6:
		p.ip6(4, length-4)
	case 0x8847, 0x8848:
		p.mpls(4, length-4)
	default:
		p.str("unknown CHDLC protocol (0x" + hex4(typ) + ")")
	}
}

// nflog prints a Linux netfilter log message: the logged packet, found
// among the type-length-value attributes (in host byte order, read as
// little-endian as tcpdump on x86 reads them).
func (p *tdPrinter) nflog(length int) {
	p.proto = "nflog"
	if len(p.data) < 4 {
		p.trunc()
		return
	}
	if v := p.data[1]; v != 0 {
		p.str("version " + strconv.Itoa(int(v)) + " (unknown)")
		return
	}
	at, length := 4, length-4
	for length > 0 {
		if p.end-at < 4 {
			p.trunc()
			return
		}
		size := int(p.data[at]) | int(p.data[at+1])<<8
		if size%4 != 0 {
			size += 4 - size%4
		}
		if size < 4 || p.end-at < size {
			p.trunc()
			return
		}
		if int(p.data[at+2])|int(p.data[at+3])<<8 == 9 { // NFULA_PAYLOAD
			at, length = at+4, length-4
			break
		}
		at, length = at+size, length-size
	}
	switch p.data[0] {
	case 2:
		p.ip(at, length)
	case 10:
		p.ip6(at, length)
	default:
		p.str("[NFLOG family " + strconv.Itoa(int(p.data[0])) + ": not printed by tcpflow]")
	}
}

// Readers of the frame's bytes, bounded by end.

func (p *tdPrinter) need(off, n int) {
	if off < 0 || n < 0 || off+n > p.end {
		panic(tdTrunc{})
	}
}

func (p *tdPrinter) has(off, n int) bool { return off >= 0 && n >= 0 && off+n <= p.end }

func (p *tdPrinter) u8(off int) byte {
	p.need(off, 1)
	return p.data[off]
}

func (p *tdPrinter) u16(off int) uint16 {
	p.need(off, 2)
	return uint16(p.data[off])<<8 | uint16(p.data[off+1])
}

func (p *tdPrinter) u32(off int) uint32 {
	p.need(off, 4)
	return uint32(p.u16(off))<<16 | uint32(p.u16(off+2))
}

// withEnd runs fn with end lowered to at most n bytes from off (tcpdump's
// nd_push_snaplen: a length field cuts what the printers below may read).
func (p *tdPrinter) withEnd(off, n int, fn func()) {
	saved := p.end
	if off+n < p.end {
		p.end = max(off+n, off)
	}
	defer func() { p.end = saved }()
	fn()
}

// Writers.

func (p *tdPrinter) str(s string) { p.b = append(p.b, s...) }
func (p *tdPrinter) num(n uint64) { p.b = strconv.AppendUint(p.b, n, 10) }
func (p *tdPrinter) hex(n uint64) { p.b = strconv.AppendUint(p.b, n, 16) }
func (p *tdPrinter) trunc()       { p.str(" [|" + p.proto + "]") }
func (p *tdPrinter) strs(ss ...string) {
	for _, s := range ss {
		p.str(s)
	}
}

// hexw writes n in hex with at least w digits.
func (p *tdPrinter) hexw(n uint64, w int) {
	s := strconv.FormatUint(n, 16)
	for i := len(s); i < w; i++ {
		p.b = append(p.b, '0')
	}
	p.str(s)
}

// pad writes s left-aligned in a field of w characters and a space (C's
// "%-5s ").
func (p *tdPrinter) pad(s string, w int) {
	p.str(s)
	for i := len(s); i < w; i++ {
		p.b = append(p.b, ' ')
	}
	p.b = append(p.b, ' ')
}

func (p *tdPrinter) ip4At(off int) string {
	p.need(off, 4)
	return netip.AddrFrom4([4]byte(p.data[off : off+4])).String()
}

func (p *tdPrinter) ip6At(off int) string {
	p.need(off, 16)
	return tdIP6(p.data[off : off+16])
}

// tdIP6 writes an IPv6 address as tcpdump does: RFC 5952, except that an
// address whose first 96 bits are zero ends in dotted IPv4 (::1.2.3.4),
// as IPv4-mapped ones do.
func tdIP6(b []byte) string {
	a := netip.AddrFrom16([16]byte(b))
	zero := true
	for _, c := range b[:12] {
		zero = zero && c == 0
	}
	if zero && (b[12] != 0 || b[13] != 0) {
		return "::" + netip.AddrFrom4([4]byte(b[12:16])).String()
	}
	return a.String()
}

func macString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 17)
	for i, c := range b {
		if i > 0 {
			s = append(s, ':')
		}
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

// tdBit names a bit of a flags field.
type tdBit struct {
	bit  uint
	name string
}

// tdBits is tcpdump's bittok2str: the names of the bits set in v, in the
// table's order, joined by sep, or "none".
func tdBits(v uint, table []tdBit, sep string) string {
	s := ""
	for _, b := range table {
		if v&b.bit != 0 {
			if s != "" {
				s += sep
			}
			s += b.name
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

var (
	ipFragFlags  = []tdBit{{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}}
	greFlagNames = []tdBit{{0x8000, "checksum present"}, {0x4000, "routing present"}, {0x2000, "key present"},
		{0x1000, "sequence# present"}, {0x0800, "source routing present"}, {0x0080, "ack present"}}
	geneveFlagNames = []tdBit{{0x80, "O"}, {0x40, "C"}, {0x20, "R1"}, {0x10, "R2"}, {0x08, "R3"}, {0x04, "R4"}, {0x02, "R5"}, {0x01, "R6"}}
)

// tdTok is tcpdump's tok2str: a name from a table, or def with %u
// replaced by the value.
func tdTok(table map[uint]string, v uint, def string) string {
	if s, ok := table[v]; ok {
		return s
	}
	return tdFormatU(def, v)
}

func tdFormatU(def string, v uint) string {
	for i := 0; i+1 < len(def); i++ {
		if def[i] == '%' {
			switch def[i+1] {
			case 'u':
				return def[:i] + strconv.FormatUint(uint64(v), 10) + def[i+2:]
			case 'x':
				return def[:i] + strconv.FormatUint(uint64(v), 16) + def[i+2:]
			}
		}
	}
	return def
}

var sllPacketTypes = map[uint]string{0: "In", 1: "B", 2: "M", 3: "P", 4: "Out"}

// Link layers.

const (
	etherIPv4 = 0x0800
	etherARP  = 0x0806
	etherRARP = 0x8035
	etherIPv6 = 0x86dd
)

// ether prints an Ethernet frame (tcpdump's ether_print without -e: only
// what follows the header, except for EtherTypes it does not print).
func (p *tdPrinter) ether(off, length int) {
	p.proto = "ether"
	caplen := p.end - off
	if length < caplen {
		p.str("[length " + strconv.Itoa(length) + " < caplen " + strconv.Itoa(caplen) + "] (invalid)")
		return
	}
	if caplen < 14 {
		p.trunc()
		return
	}
	macs := off
	at := off + 12
	typ := p.u16(at)
	at += 2
	for typ == 0x8100 || typ == 0x9100 || typ == 0x9200 || typ == 0x88a8 {
		if p.end-at < 4 || length-(at-off) < 4 {
			p.proto = "vlan"
			p.trunc()
			return
		}
		typ = p.u16(at + 2)
		at += 4
	}
	rest := length - (at - off)
	if typ <= 1500 {
		n := min(rest, int(typ))
		p.withEnd(at, n, func() { p.llc(at, n) })
		return
	}
	if !p.ethertype(typ, at, rest) {
		p.etherOther(macs, typ, length)
	}
}

// etherOther is the line of a frame whose EtherType tcpflow does not
// print: the addresses and the type as tcpdump -e would begin it, and a
// placeholder where tcpdump decodes the payload (or dumps it in hex).
func (p *tdPrinter) etherOther(macs int, typ uint16, length int) {
	p.need(macs, 12)
	p.strs(macString(p.data[macs+6:macs+12]), " > ", macString(p.data[macs:macs+6]), ", ethertype ",
		tdTok(etherTypeNames, uint(typ), "Unknown"), " (0x", hex4(typ), "), length ", strconv.Itoa(length),
		": [not printed by tcpflow]")
}

// etherTypeNames are the names tcpdump gives EtherTypes (ethertype_values),
// those the corpus and common captures show.
var etherTypeNames = map[uint]string{
	0x0800: "IPv4", 0x0806: "ARP", 0x8035: "Reverse ARP", 0x86dd: "IPv6", 0x8100: "802.1Q",
	0x88a8: "802.1Q-QinQ", 0x9100: "802.1Q-9100", 0x9200: "802.1Q-9200", 0x8863: "PPPoE D",
	0x8864: "PPPoE S", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x88cc: "LLDP",
	0x888e: "EAPOL", 0x9000: "Loopback", 0x8809: "Slow Protocols", 0x88f7: "PTP", 0x880b: "PPP",
	0x6558: "Transparent Ethernet Bridging", 0x8137: "IPX", 0x809b: "Appletalk", 0x80f3: "Appletalk ARP",
	0x6003: "DN", 0x8902: "CFM", 0x22f0: "AVTP", 0x893a: "IEEE1905.1", 0x88e5: "MACsec",
}

// ethertype prints what an EtherType announces, if tcpflow prints it.
func (p *tdPrinter) ethertype(typ uint16, off, length int) bool {
	switch typ {
	case etherIPv4:
		p.ip(off, length)
	case etherIPv6:
		p.ip6(off, length)
	case etherARP, etherRARP:
		p.arp(off, length)
	case 0x8847, 0x8848:
		p.mpls(off, length)
	case 0x8864:
		p.pppoe(off, length)
	default:
		return false
	}
	return true
}

// mpls prints an MPLS label stack (RFC 3032) and, when the bottom label
// or the payload's first byte says what follows, the IP packet.
func (p *tdPrinter) mpls(off, length int) {
	p.proto = "mpls"
	p.str("MPLS")
	var e uint32
	for depth := 0; e&0x100 == 0; depth++ {
		if length < 4 {
			p.str(" (invalid)")
			p.need(off, length)
			return
		}
		e = p.u32(off)
		label := e >> 12
		if depth > 0 {
			p.str("\n\t")
		} else {
			p.str(" ")
		}
		p.str("(label " + strconv.Itoa(int(label)))
		if label < 16 {
			p.str(" (" + mplsLabelNames[min(label, 5)] + ")")
		}
		p.str(", tc " + strconv.Itoa(int(e>>9&7)))
		if e&0x100 != 0 {
			p.str(", [S]")
		}
		p.str(", ttl " + strconv.Itoa(int(e&0xff)) + ")")
		off, length = off+4, length-4
	}
	v := 0
	switch e >> 12 {
	case 0, 3:
		v = 4
	case 2:
		v = 6
	default:
		if length < 1 {
			return
		}
		switch first := p.u8(off); {
		case first >= 0x45 && first <= 0x4f:
			v = 4
		case first >= 0x60 && first <= 0x6f:
			v = 6
		}
	}
	switch v {
	case 4:
		p.str("\n\t")
		p.ip(off, length)
	case 6:
		p.str("\n\t")
		p.ip6(off, length)
	default:
		p.str(" [MPLS payload: not printed by tcpflow]")
	}
}

var mplsLabelNames = [...]string{"IPv4 explicit NULL", "router alert", "IPv6 explicit NULL", "implicit NULL", "rsvd", "rsvd"}

// pppoe prints a PPPoE session frame (RFC 2516) and the PPP frame in it.
func (p *tdPrinter) pppoe(off, length int) {
	p.proto = "pppoe"
	if length < 6 {
		p.str(" (length " + strconv.Itoa(length) + " < 6) (invalid)")
		return
	}
	p.need(off, 6)
	length -= 6
	if v := p.data[off] >> 4; v != 1 {
		p.str(" [ver " + strconv.Itoa(int(v)) + "]")
	}
	if t := p.data[off] & 0xf; t != 1 {
		p.str(" [type " + strconv.Itoa(int(t)) + "]")
	}
	code := p.data[off+1]
	p.str("PPPoE ")
	if code != 0 {
		p.str("[PPPoE discovery: not printed by tcpflow]")
		return
	}
	n := int(p.u16(off + 4))
	if n > length {
		p.str(" [len " + strconv.Itoa(n) + " > " + strconv.Itoa(length) + "!]")
		n = length
	}
	if ses := p.u16(off + 2); ses != 0 {
		p.str(" [ses 0x")
		p.hex(uint64(ses))
		p.str("]")
	}
	p.str(" ")
	p.ppp(off+6, n)
}

// ppp prints a PPP frame: address and control bytes if present, the
// protocol field, compressed or not, and the IP packet it announces.
func (p *tdPrinter) ppp(off, length int) {
	p.proto = "ppp"
	if length < 2 {
		p.trunc()
		return
	}
	switch p.u16(off) {
	case 0x0003, 0x0103, 0xff03:
		off, length = off+2, length-2
	}
	if length < 2 {
		p.trunc()
		return
	}
	proto := uint16(p.u8(off))
	if proto%2 == 1 {
		off, length = off+1, length-1
	} else {
		proto = p.u16(off)
		off, length = off+2, length-2
	}
	p.pppPayload(proto, off, length)
}

// pppPayload prints what a PPP protocol field announces.
func (p *tdPrinter) pppPayload(proto uint16, off, length int) {
	switch proto {
	case 0x21, 0x2f, etherIPv4:
		p.ip(off, length)
	case 0x57, etherIPv6:
		p.ip6(off, length)
	default:
		p.str("[PPP protocol 0x" + hex4(proto) + ": not printed by tcpflow]")
	}
}

// pppHDLC prints a LINKTYPE_PPP_HDLC frame as tcpdump's PPP_SERIAL printer
// does: Cisco's framing (address 0x0f or 0x8f) as Cisco HDLC; PPP in
// HDLC-like framing (0xff 0x03) with its protocol's name first ("IP: ",
// "IP6: ").
func (p *tdPrinter) pppHDLC(length int) {
	p.proto = "ppp"
	p.need(0, 1)
	switch p.data[0] {
	case 0x0f, 0x8f:
		p.chdlc(length)
		return
	case 0xff:
	default:
		p.str("[PPP_HDLC address 0x" + strconv.FormatUint(uint64(p.data[0]), 16) + ": not printed by tcpflow]")
		return
	}
	if length < 4 {
		p.trunc()
		return
	}
	proto := p.u16(2)
	switch proto {
	case 0x21:
		p.str("IP: ")
	case 0x57:
		p.str("IP6: ")
	}
	p.pppPayload(proto, 4, length-4)
}

// gre prints a GRE header (RFC 2784, 2890; version 1 is PPTP's, RFC 2637)
// and the packet it carries.
func (p *tdPrinter) gre(off, length int) {
	p.proto = "gre"
	if length < 2 {
		p.trunc()
		return
	}
	flags := p.u16(off)
	v := flags & 7
	p.str("GREv" + strconv.Itoa(int(v)))
	if v > 1 {
		p.str(" ERROR: unknown-version")
		return
	}
	p.str(", Flags [")
	names := tdBits(uint(flags), greFlagNames, ", ")
	p.str(names + "]")
	at, n := off+2, length-2
	if !p.has(at, 2) || n < 2 {
		p.trunc()
		return
	}
	proto := p.u16(at)
	at, n = at+2, n-2
	fields := greFields0
	if v == 1 {
		fields = greFields1
	}
	for i, fd := range fields {
		if flags&fd.bit == 0 {
			continue
		}
		if !p.has(at, fd.size) || n < fd.size {
			p.trunc()
			return
		}
		val := uint64(p.u16(at))
		if fd.size == 4 {
			val = uint64(p.u32(at))
		}
		if v == 1 && i == 0 {
			val &= 0xffff // PPTP's call id is the key's low half
		}
		p.str(fd.label)
		if fd.hex {
			p.hex(val)
		} else {
			p.num(val)
		}
		at, n = at+fd.size, n-fd.size
	}
	if v == 1 {
		if flags&0x1000 == 0 {
			p.str(", no-payload, length " + strconv.Itoa(length))
			return
		}
		p.str(", length " + strconv.Itoa(length) + "\n\t")
		if proto == 0x880b {
			p.ppp(at, n)
		} else {
			p.str("gre-proto-0x")
			p.hex(uint64(proto))
		}
		return
	}
	if flags&0x4000 != 0 {
		p.str(" [GRE source routes: not printed by tcpflow]")
		return
	}
	p.str(", length " + strconv.Itoa(length) + "\n\t")
	switch proto {
	case etherIPv4:
		p.ip(at, n)
	case etherIPv6:
		p.ip6(at, n)
	case 0x8847:
		p.mpls(at, n)
	case 0x6558:
		p.ether(at, n)
	default:
		p.str("gre-proto-0x")
		p.hex(uint64(proto))
	}
}

// greField is an optional field of a GRE header, there when its flag is set.
type greField struct {
	bit   uint16
	size  int
	label string
	hex   bool
}

// The optional fields of GRE versions 0 (RFC 2784, 2890) and 1 (PPTP's,
// RFC 2637), in order.
var (
	greFields0 = []greField{{0xc000, 2, ", sum 0x", true}, {0xc000, 2, ", off 0x", true}, {0x2000, 4, ", key=0x", true}, {0x1000, 4, ", seq ", false}}
	greFields1 = []greField{{0x2000, 4, ", call ", false}, {0x1000, 4, ", seq ", false}, {0x0080, 4, ", ack ", false}}
)

// llc prints an 802.2 LLC frame: tcpflow prints only SNAP frames that carry
// an EtherType (RFC 1042), as tcpdump does without -e.
func (p *tdPrinter) llc(off, length int) {
	if p.has(off, 8) && p.data[off] == 0xaa && p.data[off+1] == 0xaa && p.data[off+2] == 3 &&
		p.data[off+3] == 0 && p.data[off+4] == 0 && p.data[off+5] == 0 {
		if p.ethertype(p.u16(off+6), off+8, length-8) {
			return
		}
	}
	p.str("[802.2 LLC frame: not printed by tcpflow]")
}

// loop prints a BSD loopback frame (NULL, LOOP): a 4-byte address family
// in either byte order.
func (p *tdPrinter) loop(length int) {
	p.proto = "null"
	fam := p.u32(0)
	if fam&0xffff0000 != 0 {
		fam = fam>>24 | fam>>8&0xff00 | fam<<8&0xff0000 | fam<<24
	}
	switch fam {
	case 2:
		p.ip(4, length-4)
	case 24, 28, 30:
		p.ip6(4, length-4)
	default:
		p.str("AF " + strconv.Itoa(int(fam)) + " (unknown), length " + strconv.Itoa(length) + ": ")
	}
}

// sllPayload prints what follows a Linux cooked header.
func (p *tdPrinter) sllPayload(off, length int, typ uint16) {
	for typ == 0x8100 {
		p.need(off, 4)
		typ = p.u16(off + 2)
		off, length = off+4, length-4
	}
	if typ <= 1500 {
		p.str("[Linux cooked protocol " + strconv.Itoa(int(typ)) + ": not printed by tcpflow]")
		return
	}
	if !p.ethertype(typ, off, length) {
		p.str("[EtherType 0x")
		p.hexw(uint64(typ), 4)
		p.str(": not printed by tcpflow]")
	}
}

// arp prints an ARP message as tcpdump -v does.
func (p *tdPrinter) arp(off, length int) {
	p.proto = "arp"
	p.need(off, 8)
	hrd, pro, hln, pln, op := p.u16(off), p.u16(off+2), int(p.u8(off+4)), int(p.u8(off+5)), p.u16(off+6)
	sha := off + 8
	spa := sha + hln
	tha := spa + pln
	tpa := tha + hln
	p.need(tpa, pln)
	p.str("ARP, ")
	p.strs(tdTok(arpHardware, uint(hrd), "Unknown Hardware (%u)"), " (len ", strconv.Itoa(hln), "), ",
		tdTok(etherTypeNames, uint(pro), "Unknown Protocol (0x"+hex4(pro)+")"), " (len ", strconv.Itoa(pln), ")")
	p.strs(", ", tdTok(arpOps, uint(op), "Unknown (%u)"), " ")
	ipOK := pro == etherIPv4 && pln == 4
	ipAt := func(at int) string {
		switch {
		case pro != etherIPv4:
			return "<wrong proto type>"
		case !ipOK:
			return "<wrong len>"
		}
		return p.ip4At(at)
	}
	switch op {
	case 1:
		p.strs("who-has ", ipAt(tpa))
		if nonzero(p.data[tha : tha+hln]) {
			p.strs(" (", macString(p.data[tha:tha+hln]), ")")
		}
		p.strs(" tell ", ipAt(spa))
	case 2:
		p.strs(ipAt(spa), " is-at ", macString(p.data[sha:sha+hln]))
	case 3, 8:
		p.strs("who-is ", macString(p.data[tha:tha+hln]), " tell ", macString(p.data[sha:sha+hln]))
	case 4:
		p.strs(macString(p.data[tha:tha+hln]), " at ", ipAt(tpa))
	case 9:
		p.strs(macString(p.data[sha:sha+hln]), " at ", ipAt(spa))
	default:
		return
	}
	p.str(", length " + strconv.Itoa(length))
}

var arpHardware = map[uint]string{1: "Ethernet", 6: "IEEE 802", 15: "Frame Relay", 32: "InfiniBand", 24: "IEEE 1394"}
var arpOps = map[uint]string{1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply",
	8: "Inverse Request", 9: "Inverse Reply", 10: "NACK Reply"}

func hex4(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

func nonzero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}

// Network layer.

// ipN prints raw IP: the version nibble says which.
func (p *tdPrinter) ipN(off, length int) {
	p.proto = "ipn"
	switch p.u8(off) & 0xf0 {
	case 0x40:
		p.ip(off, length)
	case 0x60:
		p.ip6(off, length)
	default:
		p.str("unknown ip " + strconv.Itoa(int(p.data[off]>>4)))
	}
}

// ipProtoNames are tcpdump's names of IP protocols (ipproto_values).
var ipProtoNames = map[uint]string{0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 9: "IGRP",
	17: "UDP", 33: "DCCP", 41: "IPv6", 43: "Routing", 44: "Fragment", 46: "RSVP", 47: "GRE", 50: "ESP",
	51: "AH", 55: "Mobile IP", 58: "ICMPv6", 62: "Mobile IP (old)", 88: "EIGRP", 89: "OSPF", 103: "PIM",
	108: "Compressed IP", 112: "VRRP", 113: "PGM", 132: "SCTP", 135: "Mobility", 143: "Ethernet"}

// ip prints an IPv4 datagram as tcpdump -v does: the header in
// parentheses, a line break, then what it carries.
func (p *tdPrinter) ip(off, length int) {
	p.proto = "ip"
	if v := p.u8(off) >> 4; v != 4 {
		if v == 6 {
			p.str("IP6, wrong link-layer encapsulation (invalid)")
		} else {
			p.str("IP" + strconv.Itoa(int(v)) + " (invalid)")
		}
		return
	}
	p.str("IP ")
	p.need(off, 20)
	if length < 20 {
		p.str("truncated-ip " + strconv.Itoa(length))
		return
	}
	hlen := int(p.u8(off)&0xf) * 4
	if hlen < 20 {
		p.str("bad-hlen " + strconv.Itoa(hlen))
		return
	}
	total := int(p.u16(off + 2))
	if length < total {
		p.str("truncated-ip - " + strconv.Itoa(total-length) + " bytes missing! ")
	}
	if total < hlen {
		p.str("bad-len " + strconv.Itoa(total))
		return
	}
	p.withEnd(off, total, func() { p.ipBody(off, hlen, total) })
}

func (p *tdPrinter) ipBody(off, hlen, total int) {
	frag := p.u16(off + 6)
	proto := p.u8(off + 9)
	tos := p.u8(off + 1)
	p.str("(tos 0x")
	p.hex(uint64(tos))
	switch tos & 3 {
	case 1:
		p.str(",ECT(1)")
	case 2:
		p.str(",ECT(0)")
	case 3:
		p.str(",CE")
	}
	if ttl := p.u8(off + 8); ttl >= 1 {
		p.str(", ttl " + strconv.Itoa(int(ttl)))
	}
	p.str(", id ")
	p.num(uint64(p.u16(off + 4)))
	p.str(", offset ")
	p.num(uint64(frag&0x1fff) * 8)
	p.str(", flags [")
	flags := tdBits(uint(frag), ipFragFlags, ", ")
	p.strs(flags, "], proto ", tdTok(ipProtoNames, uint(proto), "unknown"), " (", strconv.Itoa(int(proto)), ")")
	p.str(", length " + strconv.Itoa(int(p.u16(off+2))))
	truncated := false
	if hlen > 20 {
		p.str(", options (")
		truncated = !p.ipOptions(off+20, hlen-20)
		if truncated {
			p.str(" [truncated-option]")
		}
		p.str(")")
	}
	if off+hlen <= p.end {
		if c := capture.IPv4HeaderChecksum(p.data[off : off+hlen]); c.Status != capture.ChecksumGood {
			p.str(", bad cksum ")
			p.hex(uint64(c.Stored))
			p.str(" (->")
			p.hex(uint64(c.Want))
			p.str(")!")
		}
	}
	p.str(")\n    ")
	src, dst := p.ip4At(off+12), p.ip4At(off+16)
	if truncated {
		p.strs(src, " > ", dst, ": ")
		p.trunc()
		return
	}
	if frag&0x1fff != 0 {
		p.strs(src, " > ", dst, ": ip-proto-", strconv.Itoa(int(proto)))
		return
	}
	if proto != 6 && proto != 17 && proto != 132 && proto != 33 {
		p.strs(src, " > ", dst, ": ")
	}
	if !p.has(off, hlen) {
		p.str(" [remaining caplen(" + strconv.Itoa(p.end-off) + ") < header length(" + strconv.Itoa(hlen) + ")]")
		panic(tdTrunc{})
	}
	p.demux(off+hlen, total-hlen, proto, &ipCtx{off: off, v6: false, fragmented: frag&0x2000 != 0})
}

// ipOptions prints IPv4 options (tcpdump's ip_optprint); false when they
// were cut short.
func (p *tdPrinter) ipOptions(off, n int) bool {
	sep := ""
	for n > 0 {
		p.str(sep)
		sep = ","
		code := p.u8(off)
		p.str(tdTok(ipOptionNames, uint(code), "unknown %u"))
		l := 1
		if code > 1 {
			l = int(p.u8(off + 1))
			if l < 2 {
				p.str(" [bad length " + strconv.Itoa(l) + "]")
				return true
			}
		}
		if l > n {
			p.str(" [bad length " + strconv.Itoa(l) + "]")
			return true
		}
		if !p.has(off, l) {
			return false
		}
		switch code {
		case 0:
			return true
		case 7, 131, 137: // record route, loose and strict source routes
			p.ipRoute(off, l)
		case 68: // timestamp
			if !p.ipTimestamps(off, l) {
				return false
			}
		case 148: // router alert
			if l < 4 {
				p.str(" [bad length " + strconv.Itoa(l) + "]")
			} else if v := p.u16(off + 2); v != 0 {
				p.str(" value " + strconv.Itoa(int(v)))
			}
		}
		off, n = off+l, n-l
	}
	return true
}

var ipOptionNames = map[uint]string{0: "EOL", 1: "NOP", 68: "timestamp", 130: "security", 7: "RR",
	137: "SSRR", 131: "LSRR", 148: "RA", 82: "traceroute"}

// ipTimestamps prints an IPv4 timestamp option (RFC 791) as tcpdump does;
// false when cut short.
func (p *tdPrinter) ipTimestamps(off, l int) bool {
	if l < 4 {
		p.str("[bad length " + strconv.Itoa(l) + "]")
		return true
	}
	p.str(" TS{")
	flag := p.u8(off+3) & 0xf
	hop := 8
	if flag == 0 {
		hop = 4
	}
	if (l-4)&(hop-1) != 0 {
		p.str("[bad length " + strconv.Itoa(l) + "]")
	}
	ptr := int(p.u8(off+2)) - 1
	i := 0
	if ptr < 4 || (ptr-4)&(hop-1) != 0 || ptr > l+1 {
		p.str("[bad ptr " + strconv.Itoa(int(p.data[off+2])) + "]")
	}
	switch flag {
	case 0:
		p.str("TSONLY")
	case 1:
		p.str("TS+ADDR")
	case 3:
		p.str("PRESPEC")
	default:
		p.str("[bad ts type " + strconv.Itoa(int(flag)) + "]")
		goto done
	}
	for i = 4; i < l; i += hop {
		sep := " "
		if ptr == i {
			sep = " ^ "
		}
		if !p.has(off+i, hop) {
			return false
		}
		p.str(sep + strconv.FormatUint(uint64(p.u32(off+i+hop-4)), 10) + "@")
		if hop == 8 {
			p.str(p.ip4At(off + i))
		}
	}
done:
	if ptr == i {
		p.str(" ^ ")
	}
	if over := p.u8(off+3) >> 4; over != 0 {
		p.str(" [" + strconv.Itoa(int(over)) + " hops not recorded]} ")
	} else {
		p.str("}")
	}
	return true
}

func (p *tdPrinter) ipRoute(off, l int) {
	if l < 3 {
		p.str(" [bad length " + strconv.Itoa(l) + "]")
		return
	}
	if (l+1)&3 != 0 {
		p.str(" [bad length " + strconv.Itoa(l) + "]")
	}
	ptr := int(p.u8(off+2)) - 1
	if ptr < 3 || (ptr+1)&3 != 0 || ptr > l+1 {
		p.str(" [bad ptr " + strconv.Itoa(int(p.data[off+2])) + "]")
	}
	for i := 3; i < l; i += 4 {
		p.str(" " + p.ip4At(off+i))
		if ptr > i {
			p.str(",")
		}
	}
}

// ipCtx is what a transport printer needs of the IP header around it.
type ipCtx struct {
	off        int  // where the IP header starts
	v6         bool // IPv6
	nxt        byte // IPv6: the next-header field of the fixed header
	fragmented bool // more fragments follow: no checksum
	// exts are the IPv6 extension headers between the header and the
	// transport, for the pseudo-header's final destination.
	exts []capture.Header
}

// ip6 prints an IPv6 packet as tcpdump -v does: the header in
// parentheses, the extension headers, then what it carries, on one line.
func (p *tdPrinter) ip6(off, length int) {
	p.proto = "ip6"
	p.need(off, 40)
	p.str("IP6 ")
	if p.u8(off)>>4 != 6 {
		p.str("version error: " + strconv.Itoa(int(p.data[off]>>4)) + " != 6")
		return
	}
	plen := int(p.u16(off + 4))
	total := length + 40
	if plen != 0 {
		total = plen + 40
		if length < total {
			p.str("truncated-ip6 - " + strconv.Itoa(total-length) + " bytes missing!")
		}
	}
	flow := p.u32(off)
	nh := p.u8(off + 6)
	p.str("(")
	if flow&0x0ff00000 != 0 {
		p.str("class 0x")
		p.hexw(uint64(flow>>20&0xff), 2)
		p.str(", ")
	}
	if flow&0xfffff != 0 {
		p.str("flowlabel 0x")
		p.hexw(uint64(flow&0xfffff), 5)
		p.str(", ")
	}
	p.strs("hlim ", strconv.Itoa(int(p.u8(off+7))), ", next-header ", tdTok(ipProtoNames, uint(nh), "unknown"),
		" (", strconv.Itoa(int(nh)), ") payload length: ", strconv.Itoa(plen), ") ")
	p.withEnd(off, total, func() { p.ip6Body(off, total, plen) })
}

func (p *tdPrinter) ip6Body(off, total, plen int) {
	ctx := &ipCtx{off: off, v6: true, nxt: p.data[off+6]}
	nh := ctx.nxt
	at := off + 40
	left := total - 40
	jumbo, sawExt, sawHBH := false, false, false
	prev := -1
	for at < p.end {
		if at == off+40 && nh != 6 && nh != 17 && nh != 33 && nh != 132 {
			p.strs(p.ip6At(off+8), " > ", p.ip6At(off+24), ": ")
		}
		var n int
		switch nh {
		case 0: // hop-by-hop options
			if sawHBH {
				p.str("[The Hop-by-Hop Options header was already found] (invalid)")
				return
			}
			if prev != -1 {
				p.str("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)")
				return
			}
			p.proto = "hbhopt"
			n = (int(p.u8(at+1)) + 1) * 8
			p.need(at, n)
			p.str("HBH ")
			var j uint32
			if !p.ip6Options(at+2, n-2, true, plen, &j) {
				return
			}
			if j != 0 {
				jumbo, plen = true, int(j)
			}
			if plen == 0 && !jumbo {
				p.str("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
				return
			}
			sawHBH = true
		case 60: // destination options
			p.proto = "dstopt"
			n = (int(p.u8(at+1)) + 1) * 8
			p.need(at, n)
			p.str("DSTOPT ")
			if !p.ip6Options(at+2, n-2, false, 0, nil) {
				return
			}
		case 44: // fragment
			p.proto = "frag6"
			p.need(at, 8)
			offlg := p.u16(at + 2)
			p.str("frag (0x")
			p.hexw(uint64(p.u32(at+4)), 8)
			p.strs(":", strconv.Itoa(int(offlg&0xfff8)), "|", strconv.Itoa(40+int(p.u16(off+4))-(at-off)-8), ")")
			if offlg&0xfff8 != 0 || p.end <= at+8 {
				return
			}
			p.str(" ")
			ctx.fragmented = true
			n = 8
		case 43: // routing
			p.proto = "rt6"
			if n = p.rt6(at); n < 0 {
				return
			}
		default:
			ln := left
			switch {
			case jumbo:
				ln = plen + 40 - (at - off)
				if ln < 0 {
					p.trunc()
					return
				}
			case plen == 0:
				if sawExt {
					p.trunc()
					return
				}
				ln = 0
			}
			ctx.exts = p.extHeaders(off+40, at)
			p.demux(at, ln, nh, ctx)
			return
		}
		sawExt = true
		if left < n {
			p.trunc()
			return
		}
		prev = int(nh)
		nh = p.data[at]
		at += n
		left -= n
		p.proto = "ip6"
	}
}

// extHeaders lists the extension headers from at to end, for the
// pseudo-header's destination (capture.PseudoHeaderSum6 reads routing
// headers among them).
func (p *tdPrinter) extHeaders(from, to int) []capture.Header {
	var hs []capture.Header
	for at := from; at < to; {
		n := (int(p.data[at+1]) + 1) * 8
		if at+n > to {
			n = 8 // a fragment header
		}
		hs = append(hs, capture.Header{Kind: capture.HeaderIPv6Ext, Off: at, Len: n})
		at += n
	}
	return hs
}

// ip6Options prints hop-by-hop or destination options (tcpdump's
// ip6_opt_process with -v); false when cut short. A valid jumbo payload
// option of a hop-by-hop header sets *jumbo.
func (p *tdPrinter) ip6Options(at, n int, hbh bool, plen int, jumbo *uint32) bool {
	for i := 0; i < n; {
		t := p.u8(at + i)
		l := 1
		if t != 0 {
			if i+1 >= n {
				p.trunc()
				return false
			}
			l = int(p.u8(at+i+1)) + 2
		}
		if i+l > n {
			p.trunc()
			return false
		}
		switch t {
		case 0:
			p.str("(pad1)")
		case 1:
			p.str("(padn)")
		case 5:
			if l != 4 {
				p.str("(rtalert: invalid len " + strconv.Itoa(l-2) + ")")
				p.trunc()
				return false
			}
			p.str("(rtalert: 0x")
			p.hexw(uint64(p.u16(at+i+2)), 4)
			p.str(") ")
		case 0xc2:
			if l != 6 {
				p.str("(jumbo: invalid len " + strconv.Itoa(l-2) + ")")
				p.trunc()
				return false
			}
			v := p.u32(at + i + 2)
			vs := strconv.FormatUint(uint64(v), 10)
			switch {
			case *jumbo != 0:
				p.str("(jumbo: " + vs + " - already seen) ")
			case !hbh:
				p.str("(jumbo: " + vs + " - not a hop-by-hop option) ")
			case plen != 0:
				p.str("(jumbo: " + vs + " - payload len != 0) ")
			case v < 65536:
				p.str("(jumbo: " + vs + " - < 65536) ")
			default:
				*jumbo = v
				p.str("(jumbo: " + vs + ") ")
			}
		default:
			p.str("(opt_type 0x")
			p.hexw(uint64(t), 2)
			p.str(": len=" + strconv.Itoa(l-2) + ")")
		}
		i += l
	}
	p.str(" ")
	return true
}

// rt6 prints a routing header; its length, or -1.
func (p *tdPrinter) rt6(at int) int {
	p.str("RT6")
	l := int(p.u8(at + 1))
	typ := p.u8(at + 2)
	p.str(" (len=" + strconv.Itoa(l) + ", type=" + strconv.Itoa(int(typ)))
	if typ == 0 {
		p.str(" [Deprecated]")
	}
	p.str(", segleft=" + strconv.Itoa(int(p.u8(at+3))))
	addrs := at + 8
	switch typ {
	case 0, 2:
		p.str(", rsv=0x")
		p.hex(uint64(p.u32(at + 4)))
	case 4:
		p.str(", last-entry=" + strconv.Itoa(int(p.u8(at+4))) + ", flags=0x")
		p.hex(uint64(p.u8(at + 5)))
		p.str(", tag=")
		p.hex(uint64(p.u16(at + 6)))
	default:
		p.str(" (unknown type) (invalid)")
		return -1
	}
	if l%2 == 1 {
		p.str(" (invalid length " + strconv.Itoa(l) + ") (invalid)")
		return -1
	}
	for i := 0; i < l/2; i++ {
		p.str(", [" + strconv.Itoa(i) + "]" + p.ip6At(addrs+16*i))
	}
	p.str(") ")
	return (l + 1) * 8
}

// demux prints what an IP header carries (tcpdump's ip_demux_print).
func (p *tdPrinter) demux(off, length int, proto byte, ctx *ipCtx) {
	switch proto {
	case 6:
		p.tcp(off, length, ctx)
	case 17:
		p.udp(off, length, ctx)
	case 1:
		if ctx.v6 {
			p.str("[ICMP requires IPv4] (invalid)")
			return
		}
		p.icmp(off, length, ctx)
	case 58:
		if !ctx.v6 {
			p.str("[ICMPv6 requires IPv6] (invalid)")
			return
		}
		p.icmp6(off, length, ctx)
	case 4:
		p.ip(off, length)
	case 41:
		p.ip6(off, length)
	case 47:
		p.gre(off, length)
	case 59:
		p.str("no next header")
	default:
		p.str(" ip-proto-" + strconv.Itoa(int(proto)) + " " + strconv.Itoa(length))
	}
}

// addrs prints "src > dst: " or, when the header right before the transport
// is the IP header, "src.sport > dst.dport: " (tcpdump's rule: after IPv6
// extension headers the addresses were printed already).
func (p *tdPrinter) addrs(ctx *ipCtx, direct bool, sport, dport uint16) {
	sp, dp := strconv.Itoa(int(sport)), strconv.Itoa(int(dport))
	if !direct {
		p.strs(sp, " > ", dp, ": ")
		return
	}
	if ctx.v6 {
		p.strs(p.ip6At(ctx.off+8), ".", sp, " > ", p.ip6At(ctx.off+24), ".", dp, ": ")
	} else {
		p.strs(p.ip4At(ctx.off+12), ".", sp, " > ", p.ip4At(ctx.off+16), ".", dp, ": ")
	}
}

func (p *tdPrinter) ipAddrs(ctx *ipCtx) {
	if ctx.v6 {
		p.strs(p.ip6At(ctx.off+8), " > ", p.ip6At(ctx.off+24), ":")
	} else {
		p.strs(p.ip4At(ctx.off+12), " > ", p.ip4At(ctx.off+16), ":")
	}
}

// direct reports whether the transport header follows the IP header
// itself (the protocol field names it), as tcpdump checks.
func (ctx *ipCtx) direct(p *tdPrinter, proto byte) bool {
	if ctx.v6 {
		return ctx.nxt == proto
	}
	return p.data[ctx.off+9] == proto
}

// checksum computes a transport checksum over what the frame holds, with
// the pseudo-header of ctx's IP header.
func (p *tdPrinter) checksum(ctx *ipCtx, kind capture.HeaderKind, off, length int) capture.Checksum {
	f := &capture.Frame{Data: p.data[:p.end]}
	ip := capture.Header{Kind: capture.HeaderIPv4, Off: ctx.off, Len: int(p.data[ctx.off]&0xf) * 4, Wire: 1 << 30}
	if ctx.v6 {
		ip = capture.Header{Kind: capture.HeaderIPv6, Off: ctx.off, Len: 40, Wire: 1 << 30}
	}
	f.Headers = append(append([]capture.Header{ip}, ctx.exts...), capture.Header{Kind: kind, Off: off, Wire: length})
	return capture.ChecksumAt(f, len(f.Headers)-1)
}
