package report

import (
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
)

// The transport printers of AppendTcpdump: TCP (tcpdump's tcp_print with
// -S -vvv), UDP, ICMP and ICMPv6, and the text protocols tcpdump shows
// after a TCP segment.

// tcpFlagLetters are tcpdump's flag letters, in its order: ACK is ".", CWR
// "W"; the AE bit (byte 12) is not shown.
var tcpFlagLetters = [...]struct {
	bit    byte
	letter byte
}{{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}}

func (p *tdPrinter) tcp(off, length int, ctx *ipCtx) {
	p.proto = "tcp"
	if !p.has(off+2, 2) {
		p.ipAddrs(ctx)
		p.trunc()
		return
	}
	sport, dport := p.u16(off), p.u16(off+2)
	p.addrs(ctx, ctx.direct(p, 6), sport, dport)
	if !p.has(off, 20) {
		p.trunc()
		return
	}
	hlen := int(p.data[off+12]>>4) * 4
	if hlen < 20 {
		p.str(" tcp " + strconv.Itoa(length-hlen) + " [bad hdr length " + strconv.Itoa(hlen) + " - too short, < 20]")
		return
	}
	seq, ack, win, urp := p.u32(off+4), p.u32(off+8), p.u16(off+14), p.u16(off+18)
	flags := p.data[off+13]
	p.str("Flags [")
	n := 0
	for _, f := range tcpFlagLetters {
		if flags&f.bit != 0 {
			p.b = append(p.b, f.letter)
			n++
		}
	}
	if n == 0 {
		p.str("none")
	}
	p.str("]")
	if hlen > length {
		p.str(" [bad hdr length " + strconv.Itoa(hlen) + " - too long, > " + strconv.Itoa(length) + "]")
		return
	}
	if !ctx.fragmented && p.has(off, length) {
		c := p.checksum(ctx, capture.HeaderTCP, off, length)
		p.str(", cksum 0x")
		p.hexw(uint64(c.Stored), 4)
		if c.Status == capture.ChecksumGood {
			p.str(" (correct)")
		} else {
			p.str(" (incorrect -> 0x")
			p.hexw(uint64(c.Want), 4)
			p.str(")")
		}
	}
	plen := length - hlen
	p.str(", seq ")
	p.num(uint64(seq))
	if plen > 0 {
		p.str(":")
		p.num(uint64(seq + uint32(plen)))
	}
	if flags&0x10 != 0 {
		p.str(", ack ")
		p.num(uint64(ack))
	}
	p.str(", win ")
	p.num(uint64(win))
	if flags&0x20 != 0 {
		p.str(", urg ")
		p.num(uint64(urp))
	}
	if hlen > 20 && !p.tcpOptions(off+20, hlen-20) {
		return
	}
	p.str(", length " + strconv.Itoa(plen))
	if plen == 0 {
		return
	}
	if !p.has(off, hlen) {
		p.str(" [remaining caplen(" + strconv.Itoa(p.end-off) + ") < header length(" + strconv.Itoa(hlen) + ")]")
		panic(tdTrunc{})
	}
	p.tcpPayload(off+hlen, plen, sport, dport, flags&0x04 != 0)
}

// tcpOptionNames are tcpdump's names of TCP options.
var tcpOptionNames = map[uint]string{0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack",
	6: "echo", 7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew", 13: "", 19: "md5", 20: "scps", 28: "uto",
	29: "tcp-ao", 30: "mptcp", 34: "tfo", 254: "exp"}

// tcpOptions prints the options as tcpdump does; false when the segment's
// line ended there (a bad or cut option).
func (p *tdPrinter) tcpOptions(at, hlen int) (ok bool) {
	p.str(", options [")
	var ch byte
	defer func() {
		// A cut option ends the line, tcpdump's "trunc" label: " [|tcp]",
		// and ">" once an option was printed.
		if r := recover(); r != nil {
			if _, isTrunc := r.(tdLocalTrunc); !isTrunc {
				panic(r)
			}
			p.trunc()
			if ch != 0 {
				p.str(">")
			}
			ok = false
		}
	}()
	for hlen > 0 {
		if ch != 0 {
			p.b = append(p.b, ch)
		}
		opt := p.u8(at)
		at++
		l := 1
		if opt > 1 {
			l = int(p.u8(at))
			at++
			if l < 2 || l > hlen {
				p.badOpt(ch)
				return false
			}
			hlen--
		}
		hlen--
		p.str(tdTok(tcpOptionNames, uint(opt), "unknown-%u"))
		datalen := 0
		// lencheck is tcpdump's LENCHECK: the option's data must fit the
		// header and have been captured.
		lencheck := func(n int) bool {
			if n > hlen {
				p.badOpt(ch)
				return false
			}
			if !p.has(at, n) {
				panic(tdLocalTrunc{})
			}
			return true
		}
		// hexData prints the option's data bytes from i on in hex.
		hexData := func(i int) bool {
			for ; i < datalen; i++ {
				if !lencheck(i + 1) {
					return false
				}
				p.hexw(uint64(p.u8(at+i)), 2)
			}
			return true
		}
		switch opt {
		case 2:
			datalen = 2
			if !lencheck(2) {
				return false
			}
			p.str(" " + strconv.Itoa(int(p.u16(at))))
		case 3:
			datalen = 1
			if !lencheck(1) {
				return false
			}
			p.str(" " + strconv.Itoa(int(p.u8(at))))
		case 5:
			datalen = l - 2
			if datalen%8 != 0 {
				p.str(" invalid sack")
				break
			}
			p.str(" " + strconv.Itoa(datalen/8) + " ")
			for i := 0; i < datalen; i += 8 {
				if !lencheck(i + 4) {
					return false
				}
				s := p.u32(at + i)
				if !lencheck(i + 8) {
					return false
				}
				p.str("{" + strconv.FormatUint(uint64(s), 10) + ":" + strconv.FormatUint(uint64(p.u32(at+i+4)), 10) + "}")
			}
		case 6, 7, 11, 12, 13:
			datalen = 4
			if !lencheck(4) {
				return false
			}
			p.str(" " + strconv.FormatUint(uint64(p.u32(at)), 10))
		case 8:
			datalen = 8
			if !lencheck(8) {
				return false
			}
			p.str(" val " + strconv.FormatUint(uint64(p.u32(at)), 10) + " ecr " + strconv.FormatUint(uint64(p.u32(at+4)), 10))
		case 19:
			datalen = 16
			if !lencheck(16) {
				return false
			}
			// tcpdump built with libcrypto, without -M.
			p.str(" shared secret not supplied with -M, can't check - ")
			p.hexBytes(at, 16)
		case 20:
			datalen = 2
			if !lencheck(2) {
				return false
			}
			p.str(" cap ")
			p.hexw(uint64(p.u8(at)), 2)
			p.str(" id " + strconv.Itoa(int(p.u8(at+1))))
		case 29:
			datalen = l - 2
			if datalen < 2 {
				p.str(" (invalid)")
				break
			}
			if !lencheck(1) {
				return false
			}
			p.str(" keyid " + strconv.Itoa(int(p.u8(at))))
			if !lencheck(2) {
				return false
			}
			p.str(" rnextkeyid " + strconv.Itoa(int(p.u8(at+1))))
			if datalen > 2 {
				p.str(" mac 0x")
				if !hexData(2) {
					return false
				}
			}
		case 0, 1, 4:
		case 28:
			datalen = 2
			if !lencheck(2) {
				return false
			}
			v := uint(p.u16(at))
			p.str(" 0x")
			p.hex(uint64(v))
			if v&1 != 0 {
				v = (v >> 1) * 60
			} else {
				v >>= 1
			}
			p.str(" " + strconv.Itoa(int(v)))
		case 30:
			datalen = l - 2
			if !lencheck(datalen) {
				return false
			}
			if !p.mptcp(at-2, l) {
				p.badOpt(ch)
				return false
			}
		case 34:
			datalen = l - 2
			if !lencheck(datalen) {
				return false
			}
			p.str(" ")
			p.fastOpen(at, datalen, false)
		case 254:
			datalen = l - 2
			if !lencheck(datalen) {
				return false
			}
			if datalen < 2 {
				p.badOpt(ch)
				return false
			}
			magic := p.u16(at)
			p.str("-")
			if magic == 0xf989 {
				p.fastOpen(at+2, datalen-2, true)
			} else {
				p.hexw(uint64(magic), 4)
			}
		default:
			datalen = l - 2
			if datalen > 0 {
				p.str(" 0x")
			}
			if !hexData(0) {
				return false
			}
		}
		at += datalen
		hlen -= datalen
		n := datalen + 1
		if opt > 1 {
			n++
		}
		if n != l {
			p.str("[len " + strconv.Itoa(l) + "]")
		}
		ch = ','
		if opt == 0 {
			break
		}
	}
	p.str("]")
	return true
}

// tdLocalTrunc is a cut option: tcpdump's jump to its local "trunc" label,
// which, unlike a failed read, may add ">".
type tdLocalTrunc struct{}

func (p *tdPrinter) badOpt(ch byte) {
	p.str("[bad opt]")
	if ch != 0 {
		p.str("]")
	}
}

func (p *tdPrinter) hexBytes(at, n int) {
	for i := 0; i < n; i++ {
		p.hexw(uint64(p.u8(at+i)), 2)
	}
}

// fastOpen prints a TCP Fast Open option's cookie (RFC 7413).
func (p *tdPrinter) fastOpen(at, n int, exp bool) {
	if exp {
		p.str("tfo")
	}
	switch {
	case n == 0:
		p.str(" cookiereq")
	case n%2 != 0 || n < 4 || n > 16:
		p.str(" (invalid)")
	default:
		p.str(" cookie ")
		p.hexBytes(at, n)
	}
}

// mptcp prints the MPTCP option subtypes tcpflow knows as tcpdump does
// (MP_CAPABLE and DSS); false for a malformed option, which tcpdump marks
// "[bad opt]". Other subtypes print their name only.
func (p *tdPrinter) mptcp(at, l int) bool {
	if l < 3 {
		return false
	}
	sub := p.u8(at+2) >> 4
	names := [...]string{"capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "tcprst"}
	p.str(" " + strconv.Itoa(l))
	if int(sub) >= len(names) {
		p.str(" unknown")
		return true
	}
	p.str(" " + names[sub])
	switch sub {
	case 0: // MP_CAPABLE
		if l != 4 && l != 12 && l != 20 && l != 22 && l != 24 {
			return false
		}
		version := p.u8(at+2) & 0xf
		p.str(" v" + strconv.Itoa(int(version)))
		fl := p.u8(at + 3)
		if fl&0x80 != 0 {
			p.str(" csum")
		}
		if l >= 12 {
			p.str(" {0x")
			p.hexw(uint64(p.u32(at+4))<<32|uint64(p.u32(at+8)), 16)
			if l >= 20 {
				p.str(",0x")
				p.hexw(uint64(p.u32(at+12))<<32|uint64(p.u32(at+16)), 16)
			}
			p.str("}")
		}
	case 2: // DSS
		fl := p.u8(at + 3)
		q := at + 4
		if fl&0x10 != 0 {
			p.str(" fin")
		}
		// num prints a data sequence number of 8 bytes when wide, else 4.
		num := func(wide bool) {
			if wide {
				p.num(uint64(p.u32(q))<<32 | uint64(p.u32(q+4)))
				q += 8
			} else {
				p.num(uint64(p.u32(q)))
				q += 4
			}
		}
		if fl&0x01 != 0 { // data ack present
			p.str(" ack ")
			num(fl&0x02 != 0)
		}
		if fl&0x04 != 0 { // mapping present
			p.str(" seq ")
			num(fl&0x08 != 0)
			p.str(" subseq ")
			p.num(uint64(p.u32(q)))
			p.str(" len ")
			p.num(uint64(p.u16(q + 4)))
			q += 6
			if q+2 <= at+l {
				p.str(" csum 0x")
				p.hex(uint64(p.u16(q)))
			}
		}
	}
	return true
}

// tcpPayload prints what tcpdump shows of a segment's payload: the data of
// a RST, or the text protocols it decodes by port. Ports of protocols
// tcpflow does not decode print nothing, as tcpdump's order of checks
// would have them print their own decoding.
func (p *tdPrinter) tcpPayload(off, n int, sport, dport uint16, rst bool) {
	if rst {
		p.rstData(off, n)
		return
	}
	port := func(ps ...uint16) bool {
		for _, x := range ps {
			if sport == x || dport == x {
				return true
			}
		}
		return false
	}
	switch {
	case port(23, 25):
		if port(23) { // telnet: not decoded
			return
		}
		p.str(": ")
		p.txtproto(off, n, "smtp", nil)
	case port(43):
		p.str(": ")
		p.txtproto(off, n, "whois", nil)
	case port(179, 1723, 6379):
	case port(22):
		p.proto = "ssh"
		p.ssh(off, n)
	case port(139, 445, 10288, 6633, 6653):
	case port(21):
		p.str(": ")
		p.txtproto(off, n, "ftp", nil)
	case port(80, 8080):
		p.str(": ")
		p.txtproto(off, n, "http", httpMethods)
	case port(554, 8554):
		p.str(": ")
		p.txtproto(off, n, "rtsp", rtspMethods)
	}
}

// rstData prints the text a RST carries (RFC 1122 4.2.2.12 allows it).
func (p *tdPrinter) rstData(off, n int) {
	if p.has(off, n) {
		p.str(" [RST")
	} else {
		p.str(" [!RST")
	}
	if n > 30 {
		n = 30
		p.str("+")
	}
	p.str(" ")
	for i := 0; i < n && off+i < p.end; i++ {
		p.printChar(p.data[off+i])
	}
	p.str("]")
}

// printChar writes a byte as tcpdump's fn_print_char: M- for the high bit,
// ^ for control characters.
func (p *tdPrinter) printChar(c byte) {
	if c >= 0x80 {
		c &= 0x7f
		p.str("M-")
	}
	if c < 0x20 || c == 0x7f {
		c ^= 0x40
		p.str("^")
	}
	p.b = append(p.b, c)
}

var httpMethods = []string{"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE",
	"MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY",
	"BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE",
	"PROPPATCH", "BPROPFIND", "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE",
	"RPC_CONNECT", "VERSION-CONTROL", "BASELINE-CONTROL"}

var rtspMethods = []string{"DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD",
	"REDIRECT", "SETUP", "SET_PARAMETER", "TEARDOWN"}

func printable(c byte) bool { return c >= 0x20 && c < 0x7f }

// token reads a token of printable ASCII from off+i (tcpdump's
// fetch_token): it returns the token and where the next one starts, or
// ok false.
func (p *tdPrinter) token(off, i, n int) (tok string, next int, ok bool) {
	start := i
	for ; i < n; i++ {
		if !p.has(off+i, 1) {
			return "", 0, false
		}
		c := p.data[off+i]
		if c >= 0x80 {
			return "", 0, false
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			break
		}
		if !printable(c) || i-start+2 > 128 {
			return "", 0, false
		}
	}
	if i == start {
		return "", 0, false
	}
	tok = string(p.data[off+start : off+i])
	for ; i < n && p.has(off+i, 1); i++ {
		c := p.data[off+i]
		if c == '\r' || c == '\n' || !printable(c) || (c != ' ' && c != '\t') {
			break
		}
	}
	return tok, i, true
}

// txtproto prints a text protocol's payload as tcpdump -v does (its
// txtproto_print): the protocol's name, and when the payload starts with
// one of its requests or a response code (or always, for protocols without
// a list), the length and every line while the bytes are printable text.
func (p *tdPrinter) txtproto(off, n int, proto string, cmds []string) {
	p.proto = proto
	show := cmds == nil
	if cmds != nil {
		if tok, next, ok := p.token(off, 0, n); ok {
			for _, c := range cmds {
				if strings.EqualFold(tok, c) {
					show = true
					break
				}
			}
			tok, next, ok = p.token(off, next, n) // the response code is the second token
			if ok && len(tok) == 3 && isDigit(tok[0]) && isDigit(tok[1]) && isDigit(tok[2]) {
				show = true
			}
			_ = next
		}
	}
	p.str(strings.ToUpper(proto))
	if !show {
		return
	}
	p.str(", length: " + strconv.Itoa(n))
	for i := 0; i < n; {
		eol := p.txtLine(off, i, n)
		if eol == 0 {
			break
		}
		i = eol
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// txtLine prints the line at off+i after "\n\t" and returns where the next
// starts, or 0 when it is no text line (tcpdump's print_txt_line).
func (p *tdPrinter) txtLine(off, i, n int) int {
	start := i
	for i < n {
		c := p.u8(off + i)
		switch {
		case c == '\n':
			p.str("\n\t")
			p.b = append(p.b, p.data[off+start:off+i]...)
			return i + 1
		case c == '\r':
			if i+1 >= n {
				return 0
			}
			if p.u8(off+i+1) == '\n' {
				p.str("\n\t")
				p.b = append(p.b, p.data[off+start:off+i]...)
				return i + 2
			}
			return 0
		case !printable(c) && c != '\t':
			return 0
		}
		i++
	}
	p.str("\n\t")
	p.b = append(p.b, p.data[off+start:off+i]...)
	p.trunc()
	return 0
}

// ssh prints the version line an SSH connection starts with.
func (p *tdPrinter) ssh(off, n int) {
	if p.u8(off) != 'S' || p.u8(off+1) != 'S' || p.u8(off+2) != 'H' || p.u8(off+3) != '-' {
		return
	}
	for i := 4; i < n; i++ {
		c := p.u8(off + i)
		switch {
		case c == '\n':
		case c == '\r':
			if i+1 >= n || p.u8(off+i+1) != '\n' {
				return
			}
		case !printable(c):
			return
		default:
			continue
		}
		p.str(": SSH: ")
		p.b = append(p.b, p.data[off:off+i]...)
		return
	}
}

// udp prints a UDP datagram as tcpdump -vvv does when it does not decode
// its payload: addresses, checksum, length. (tcpdump decodes the payload
// of many ports, DNS, DHCP, NTP, ...; tcpflow prints this line for them.)
func (p *tdPrinter) udp(off, length int, ctx *ipCtx) {
	p.proto = "udp"
	direct := ctx.direct(p, 17)
	if !p.has(off+2, 2) {
		if direct {
			p.ipAddrs(ctx)
			p.str(" ")
		}
		p.trunc()
		return
	}
	sport, dport := p.u16(off), p.u16(off+2)
	if length < 8 {
		p.addrs(ctx, direct, sport, dport)
		p.str("truncated-udp " + strconv.Itoa(length))
		return
	}
	if !p.has(off+4, 2) {
		p.addrs(ctx, direct, sport, dport)
		p.trunc()
		return
	}
	ulen := int(p.u16(off + 4))
	if ulen == 0 && length > 65535 {
		ulen = length
	}
	if ulen < 8 {
		p.addrs(ctx, direct, sport, dport)
		p.str("truncated-udplength " + strconv.Itoa(ulen))
		return
	}
	ulen -= 8
	length -= 8
	if ulen < length {
		length = ulen
	}
	if off+8 > p.end {
		p.addrs(ctx, direct, sport, dport)
		p.trunc()
		return
	}
	p.addrs(ctx, direct, sport, dport)
	if !ctx.fragmented && p.has(off+8, length) {
		if c := p.checksum(ctx, capture.HeaderUDP, off, length+8); c.Status == capture.ChecksumNone {
			p.str("[no cksum] ")
		} else {
			p.sumVerdict("udp", c)
		}
	}
	if !tdUDPDecodedBefore(sport, dport) {
		switch {
		case sport == 4789 || dport == 4789:
			p.vxlan(off+8, length)
			return
		case sport == 6081 || dport == 6081:
			p.geneve(off+8, length)
			return
		case (sport == 6635 || dport == 6635) && !(sport == 4342 || dport == 4342 || sport == 4790 || dport == 4790 || sport == 17754 || dport == 17754):
			p.mpls(off+8, length)
			return
		}
	}
	if ulen > length && !ctx.fragmented {
		p.str("UDP, bad length " + strconv.Itoa(ulen) + " > " + strconv.Itoa(length))
	} else {
		p.str("UDP, length " + strconv.Itoa(ulen))
	}
}

// tdUDPDecodedBefore reports whether tcpdump's UDP printer would decode a
// datagram between these ports as something it checks before VXLAN and
// Geneve (DNS, DHCP, NTP, SNMP, syslog, ...): tcpflow then prints the
// generic line.
func tdUDPDecodedBefore(sport, dport uint16) bool {
	for _, port := range []uint16{53, 5353, 525, 69, 67, 68, 520, 654, 500, 4500, 7500, 8500, 161, 162, 123,
		88, 750, 1701, 137, 138, 2103, 2104, 521, 546, 547, 5359, 6696, 6697, 8231, 496, 1645, 1812, 1646,
		1813, 1700, 3799, 921, 646, 698, 3503, 701, 1589, 6343, 12223, 5060, 514, 8472} {
		if sport == port || dport == port {
			return true
		}
	}
	switch {
	case sport >= 7000 && sport <= 7009, dport >= 7000 && dport <= 7009: // AFS rx
		return true
	case dport == 3456, dport == 4567, dport == 1985, sport == 49152, dport == 12222, sport == 12222:
		return true
	case dport == 3784, dport == 4784, dport == 6784, dport == 3785:
		return true
	}
	return false
}

// vxlan prints a VXLAN header (RFC 7348) and the Ethernet frame in it, on
// a line of its own as tcpdump prints it.
func (p *tdPrinter) vxlan(off, length int) {
	p.proto = "vxlan"
	p.str("VXLAN")
	if length < 8 {
		p.str(" (invalid)")
		return
	}
	flags := p.u8(off)
	fl := "invalid"
	if flags&0x08 != 0 {
		fl = "I"
	}
	p.str(", flags [" + fl + "] (0x")
	p.hexw(uint64(flags), 2)
	p.str("), vni ")
	p.num(uint64(p.u32(off+4) >> 8))
	p.str("\n")
	p.need(off+7, 1)
	p.ether(off+8, length-8)
}

// geneve prints a Geneve header (RFC 8926), its options, and the frame or
// packet it carries.
func (p *tdPrinter) geneve(off, length int) {
	p.proto = "geneve"
	p.str("Geneve")
	if length < 8 {
		p.str(" [length " + strconv.Itoa(length) + " < 8] (invalid)")
		return
	}
	p.need(off, 8)
	vo := p.data[off]
	if v := vo >> 6; v != 0 {
		p.str(" ERROR: unknown-version " + strconv.Itoa(int(v)))
		return
	}
	flags := p.data[off+1]
	proto := p.u16(off + 2)
	vni := p.u32(off+4) >> 8
	rsvd := p.data[off+7]
	p.str(", Flags [" + tdBits(uint(flags), geneveFlagNames, "") + "], vni 0x")
	p.hex(uint64(vni))
	if rsvd != 0 {
		p.str(", rsvd 0x")
		p.hex(uint64(rsvd))
	}
	optLen := int(vo&0x3f) * 4
	at, n := off+8, length-8
	if n < optLen {
		p.str(" truncated-geneve - " + strconv.Itoa(optLen-n) + " bytes missing")
		return
	}
	p.need(at, optLen)
	if optLen > 0 {
		p.str(", options [")
		sep := ""
		for o, left := at, optLen; left > 0; {
			class, typ := p.u16(o), p.u8(o+2)
			ol := 4 + int(p.u8(o+3)&0x1f)*4
			p.str(sep + "class " + genevePlass(class) + " (0x")
			sep = ", "
			p.hex(uint64(class))
			p.str(") type 0x")
			p.hex(uint64(typ))
			if typ&0x80 != 0 {
				p.str("(C)")
			}
			p.str(" len " + strconv.Itoa(ol))
			if ol > left {
				p.str(" [bad length]")
				break
			}
			if ol > 4 {
				p.str(" data")
				for i := 4; i < ol; i += 4 {
					p.str(" ")
					p.hexw(uint64(p.u32(o+i)), 8)
				}
			}
			o, left = o+ol, left-ol
		}
		p.str("]")
	}
	at, n = at+optLen, n-optLen
	p.str("\n\t")
	if !p.ethertype(proto, at, n) {
		if proto == 0x6558 {
			p.ether(at, n)
		} else {
			p.str("geneve-proto-0x")
			p.hex(uint64(proto))
		}
	}
}

func genevePlass(c uint16) string {
	switch c {
	case 0x0100:
		return "Linux"
	case 0x0101:
		return "Open vSwitch"
	case 0x0102:
		return "Open Virtual Networking (OVN)"
	case 0x0103:
		return "In-band Network Telemetry (INT)"
	case 0x0104:
		return "VMware"
	}
	switch {
	case c <= 0xff:
		return "Standard"
	case c >= 0xfff0:
		return "Experimental"
	}
	return "Unknown"
}

// sumVerdict prints tcpdump's bracketed checksum verdict of UDP and ICMPv6.
func (p *tdPrinter) sumVerdict(proto string, c capture.Checksum) {
	if c.Status == capture.ChecksumGood {
		p.str("[" + proto + " sum ok] ")
		return
	}
	p.str("[bad " + proto + " cksum 0x")
	p.hexw(uint64(c.Stored), 4)
	p.str(" -> 0x")
	p.hexw(uint64(c.Want), 4)
	p.str("!] ")
}

// icmpNames are tcpdump's names of ICMP types it prints by name only.
var icmpNames = map[uint]string{0: "echo reply", 4: "source quench", 8: "echo request", 10: "router solicitation",
	13: "time stamp request", 14: "time stamp reply", 15: "information request", 16: "information reply",
	17: "address mask request"}

// icmp prints an ICMP message as tcpdump -v does, with the datagram an
// error quotes.
func (p *tdPrinter) icmp(off, length int, ctx *ipCtx) {
	p.proto = "icmp"
	typ, code := p.u8(off), p.u8(off+1)
	var s string
	quotedDst := func() string { return p.ip4At(off + 8 + 16) }
	switch typ {
	case 0, 8:
		s = "echo reply"
		if typ == 8 {
			s = "echo request"
		}
		s += ", id " + strconv.Itoa(int(p.u16(off+4))) + ", seq " + strconv.Itoa(int(p.u16(off+6)))
	case 3:
		switch code {
		case 0:
			s = "net " + quotedDst() + " unreachable"
		case 1:
			s = "host " + quotedDst() + " unreachable"
		case 2:
			s = quotedDst() + " protocol " + strconv.Itoa(int(p.u8(off+8+9))) + " unreachable"
		case 3:
			q := off + 8
			hl := int(p.u8(q)&0xf) * 4
			dp := strconv.Itoa(int(p.u16(q + hl + 2)))
			switch pr := p.u8(q + 9); pr {
			case 6:
				s = quotedDst() + " tcp port " + dp + " unreachable"
			case 17:
				s = quotedDst() + " udp port " + dp + " unreachable"
			default:
				s = quotedDst() + " protocol " + strconv.Itoa(int(pr)) + " port " + dp + " unreachable"
			}
		case 4:
			if mtu := p.u16(off + 6); mtu != 0 {
				s = quotedDst() + " unreachable - need to frag (mtu " + strconv.Itoa(int(mtu)) + ")"
			} else {
				s = quotedDst() + " unreachable - need to frag"
			}
		default:
			names := map[byte]string{5: "%s unreachable - source route failed", 6: "net %s unreachable - unknown",
				7: "host %s unreachable - unknown", 8: "%s unreachable - source host isolated",
				9: "net %s unreachable - admin prohibited", 10: "host %s unreachable - admin prohibited",
				11: "net %s unreachable - tos prohibited", 12: "host %s unreachable - tos prohibited",
				13: "host %s unreachable - admin prohibited filter", 14: "host %s unreachable - host precedence violation",
				15: "host %s unreachable - precedence cutoff"}
			if f, ok := names[code]; ok {
				s = strings.Replace(f, "%s", quotedDst(), 1)
			} else {
				s = quotedDst() + " unreachable - #" + strconv.Itoa(int(code))
			}
		}
	case 5:
		kinds := map[byte]string{0: "redirect %s to net %s", 1: "redirect %s to host %s", 2: "redirect-tos %s to net %s",
			3: "redirect-tos %s to host %s"}
		f, ok := kinds[code]
		if !ok {
			f = "redirect-#" + strconv.Itoa(int(code)) + " %s to %s"
		}
		dst := quotedDst()
		s = strings.Replace(strings.Replace(f, "%s", dst, 1), "%s", p.ip4At(off+4), 1)
	case 11:
		p.need(off+8+16, 4)
		switch code {
		case 0:
			s = "time exceeded in-transit"
		case 1:
			s = "ip reassembly time exceeded"
		default:
			s = "time exceeded-#" + strconv.Itoa(int(code))
		}
	case 12:
		if code != 0 {
			s = "parameter problem - code " + strconv.Itoa(int(code))
		} else {
			s = "parameter problem - octet " + strconv.Itoa(int(p.u8(off+4)))
		}
	case 18:
		s = "address mask is 0x" + strconv.FormatUint(uint64(p.u32(off+8))|1<<32, 16)[1:]
	case 13:
		s = "time stamp query id " + strconv.Itoa(int(p.u16(off+4))) + " seq " + strconv.Itoa(int(p.u16(off+6)))
	default:
		s = tdTok(icmpNames, uint(typ), "type-#%u")
	}
	p.str("ICMP " + s + ", length " + strconv.Itoa(length))
	if !ctx.fragmented && p.has(off, length) {
		f := &capture.Frame{Data: p.data, Headers: []capture.Header{{Kind: capture.HeaderICMPv4, Off: off, Wire: length}}}
		if c := capture.ChecksumAt(f, 0); c.Status == capture.ChecksumBad {
			p.str(" (wrong icmp cksum ")
			p.hex(uint64(c.Stored))
			p.str(" (->")
			p.hex(uint64(c.Want))
			p.str(")!)")
		}
	}
	switch typ {
	case 3, 4, 5, 11, 12: // errors quote the offending datagram
		q := off + 8
		p.str("\n\t")
		total := int(p.u16(q + 2))
		p.withEnd(q, total, func() { p.ip(q, total) })
	}
}

// icmp6 prints an ICMPv6 message: the checksum, the type, and the details
// tcpdump -v prints for errors and echoes. (Neighbor discovery and
// multicast listener messages get their type and length; tcpdump also
// prints their options.)
func (p *tdPrinter) icmp6(off, length int, ctx *ipCtx) {
	p.proto = "icmp6"
	if length == 0 {
		p.str("ICMP6, length 0 (invalid)")
		return
	}
	if !ctx.fragmented && p.has(off, length) {
		p.sumVerdict("icmp6", p.checksum(ctx, capture.HeaderICMPv6, off, length))
	}
	typ := p.u8(off)
	p.str("ICMP6, " + tdTok(icmp6Names, uint(typ), "unknown icmp6 type (%u)"))
	switch typ {
	case 133, 134, 135, 136, 137, 145, 147:
		p.str(", length " + strconv.Itoa(length))
	}
	code := p.u8(off + 1)
	oip := off + 8
	switch typ {
	case 1:
		p.str(", " + tdTok(icmp6UnreachNames, uint(code), "unknown unreach code (%u)"))
		switch code {
		case 0, 1, 3:
			p.str(" " + p.ip6At(oip+24))
		case 2:
			p.str(" " + p.ip6At(oip+24) + ", source address " + p.ip6At(oip+8))
		}
	case 2:
		p.str(", mtu " + strconv.FormatUint(uint64(p.u32(off+4)), 10))
	case 3:
		switch code {
		case 0:
			p.str(" for " + p.ip6At(oip+24))
		case 1:
			p.str(" (reassembly)")
		default:
			p.str(", unknown code (" + strconv.Itoa(int(code)) + ")")
		}
	case 128, 129:
		p.str(", id " + strconv.Itoa(int(p.u16(off+4))) + ", seq " + strconv.Itoa(int(p.u16(off+6))))
	}
}

var icmp6Names = map[uint]string{1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
	4: "parameter problem", 128: "echo request", 129: "echo reply", 130: "multicast listener query",
	131: "multicast listener report", 132: "multicast listener done", 133: "router solicitation",
	134: "router advertisement", 135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect",
	138: "router renumbering", 141: "inverse neighbor solicitation", 142: "inverse neighbor advertisement",
	143: "multicast listener report v2", 144: "ha discovery request", 145: "ha discovery reply",
	146: "mobile router solicitation", 147: "mobile router advertisement", 139: "node information query",
	140: "node information reply", 200: "mtrace response", 201: "mtrace message", 155: "RPL"}

var icmp6UnreachNames = map[uint]string{0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope",
	3: "unreachable address", 4: "unreachable port"}
