package filter

import (
	"net/netip"
	"regexp"
	"strings"
)

// kind is a token kind. The words are those of libpcap's scanner (scanner.l);
// like it, the scanner is case-sensitive ("TCP" is not a keyword).
type kind int

const (
	tEOF   kind = iota
	tNum        // a number, or a named constant such as tcp-syn
	tID         // a name (host, port or protocol name), or \escaped
	tHID        // a dotted IPv4 address or prefix: 10, 10.1, 10.1.2.3
	tHID6       // an IPv6 address
	tEID        // a MAC address
	tPunct      // one of ( ) [ ] : + - * / % & | ^ = == != < <= > >= << >> !

	// keywords
	tAnd
	tOr
	tNot
	tSrc
	tDst
	tHost
	tNet
	tMask
	tPort
	tPortrange
	tProto
	tLess
	tGreater
	tLen
	tVlan
	tPname       // a protocol name: ether (link), ip, ip6, arp, rarp, tcp, udp, ...
	tUnsupported // a libpcap keyword this package does not implement
)

type token struct {
	kind kind
	text string // as written (for tPunct, the operator)
	pos  int    // byte offset in the expression
	num  uint32 // tNum
	err  string // set when the token is malformed (a number too big, ...)
}

// protocol names, as libpcap's grammar knows them (pname).
var pnames = map[string]proto{
	"link": qLink, "ether": qLink,
	"ip": qIP, "ip6": qIP6, "arp": qARP, "rarp": qRARP,
	"tcp": qTCP, "udp": qUDP, "sctp": qSCTP, "icmp": qICMP, "icmp6": qICMP6,
	"igmp": qIGMP, "igrp": qIGRP, "pim": qPIM, "vrrp": qVRRP, "carp": qCARP,
	"ah": qAH, "esp": qESP,
}

var keywords = map[string]kind{
	"and": tAnd, "or": tOr, "not": tNot,
	"src": tSrc, "dst": tDst, "host": tHost, "net": tNet, "mask": tMask,
	"port": tPort, "portrange": tPortrange, "proto": tProto,
	"less": tLess, "greater": tGreater, "len": tLen, "length": tLen,
	"vlan": tVlan,
}

// unsupported lists libpcap's other keywords: they are rejected by name
// rather than taken for host names.
var unsupported = setOf(
	// link layers other than Ethernet
	"ppp", "slip", "fddi", "tr", "wlan", "radio",
	// other qualifiers and primitives
	"gateway", "protochain", "broadcast", "multicast", "byte", "inbound", "outbound",
	"ifindex", "mpls", "pppoed", "pppoes", "geneve", "llc",
	// 802.11
	"type", "subtype", "dir", "direction", "addr1", "address1", "addr2", "address2",
	"addr3", "address3", "addr4", "address4", "ra", "ta",
	// non-IP protocols
	"atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "iso", "esis", "es-is",
	"isis", "is-is", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp", "clnp", "stp", "ipx", "netbeui",
	// ATM, MTP2/MTP3
	"lane", "metac", "bcc", "oam", "oamf4", "oamf4ec", "oamf4sc", "sc", "ilmic", "vpi", "vci",
	"connectmsg", "metaconnect", "fisu", "lssu", "lsu", "msu", "hfisu", "hlssu", "hmsu",
	"sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls",
	// pf
	"on", "ifname", "rset", "ruleset", "rnr", "rulenum", "srnr", "subrulenum", "reason", "action",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// constants are the named numbers of libpcap's scanner.
var constants = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
	"icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15,
	"icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
	"icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139,
	"icmp6-nodeinformationresponse": 140, "icmp6-ineighbordiscoverysolicit": 141,
	"icmp6-ineighbordiscoveryadvert": 142, "icmp6-multicastlistenerreportv2": 143,
	"icmp6-homeagentdiscoveryrequest": 144, "icmp6-homeagentdiscoveryreply": 145,
	"icmp6-mobileprefixsolicit": 146, "icmp6-mobileprefixadvert": 147,
	"icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
	"icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152,
	"icmp6-multicastrouterterm": 153,
	"tcpflags":                  13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

// The word patterns of libpcap's scanner, matched leftmost-longest like flex;
// when two match the same length the earlier rule wins (keywords and named
// constants come before names, MAC addresses before numbers).
var (
	reMAC = longest(`([0-9A-Fa-f][0-9A-Fa-f]?:){5}[0-9A-Fa-f][0-9A-Fa-f]?|` +
		`([0-9A-Fa-f][0-9A-Fa-f]?-){5}[0-9A-Fa-f][0-9A-Fa-f]?|` +
		`([0-9A-Fa-f][0-9A-Fa-f]?\.){5}[0-9A-Fa-f][0-9A-Fa-f]?|` +
		`[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12}`)
	reNum   = longest(`0[xX][0-9A-Fa-f]+|[0-9]+`)
	reHID   = longest(`[0-9]+(\.[0-9]+){1,3}`)
	reV6    = longest(`[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*`)
	reID    = longest(`[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`)
	reBogus = longest(`[0-9A-Fa-f][0-9A-Fa-f]?:+([0-9A-Fa-f][0-9A-Fa-f]?:+)+`)
)

func longest(expr string) *regexp.Regexp {
	re := regexp.MustCompile(`^(?:` + expr + `)`)
	re.Longest()
	return re
}

// operators, longest first.
var operators = []string{"&&", "||", ">=", "<=", "!=", "==", "<<", ">>",
	"(", ")", "[", "]", ":", "+", "-", "*", "/", "%", "&", "|", "^", "=", "<", ">", "!"}

// lex splits expr into tokens. It fails only on a character no rule takes.
func lex(expr string) ([]token, *Error) {
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		if c == '\\' {
			j := i + 1
			for j < len(expr) && !strings.ContainsRune(" !()\n\t", rune(expr[j])) {
				j++
			}
			if j == i+1 {
				return nil, errAt(expr, i, "a backslash must be followed by a name")
			}
			toks = append(toks, token{kind: tID, text: expr[i+1 : j], pos: i})
			i = j
			continue
		}
		if t, n, ok := lexWord(expr[i:]); ok {
			t.pos = i
			toks = append(toks, t)
			i += n
			continue
		}
		op := ""
		for _, o := range operators {
			if strings.HasPrefix(expr[i:], o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, errAt(expr, i, "unexpected character %q", rune(expr[i]))
		}
		t := token{kind: tPunct, text: op, pos: i}
		switch op {
		case "&&":
			t.kind = tAnd
		case "||":
			t.kind = tOr
		case "!":
			t.kind = tNot
		case "==":
			t.text = "="
		}
		toks = append(toks, t)
		i += len(op)
	}
	return append(toks, token{kind: tEOF, pos: len(expr)}), nil
}

// lexWord matches the longest word at the start of s, the way libpcap's
// flex scanner does.
func lexWord(s string) (token, int, bool) {
	best, bestLen := token{}, 0
	try := func(n int, t token) {
		if n > bestLen {
			best, bestLen = t, n
		}
	}
	// In the scanner's rule order, so that a later rule wins only when longer.
	id := reID.FindString(s)
	if k, ok := keywords[id]; ok {
		try(len(id), token{kind: k, text: id})
	} else if _, ok := pnames[id]; ok {
		try(len(id), token{kind: tPname, text: id})
	} else if unsupported[id] {
		try(len(id), token{kind: tUnsupported, text: id})
	}
	if m := reMAC.FindString(s); m != "" {
		try(len(m), token{kind: tEID, text: m})
	}
	if m := reNum.FindString(s); m != "" {
		v, msg := parseNum(m)
		try(len(m), token{kind: tNum, text: m, num: v, err: msg})
	}
	if m := reHID.FindString(s); m != "" {
		try(len(m), token{kind: tHID, text: m})
	}
	if m := reV6.FindString(s); m != "" {
		// The longest prefix that is an IPv6 address, as the scanner's
		// V6 patterns (which getaddrinfo then checks) would take.
		for n := len(m); n > bestLen; n-- {
			if a, err := netip.ParseAddr(m[:n]); err == nil && a.Is6() && a.Zone() == "" {
				try(n, token{kind: tHID6, text: m[:n]})
				break
			}
		}
	}
	if m := reBogus.FindString(s); m != "" {
		try(len(m), token{kind: tEID, text: m, err: "bogus ethernet address " + m})
	}
	if v, ok := constants[id]; ok {
		try(len(id), token{kind: tNum, text: id, num: v})
	}
	try(len(id), token{kind: tID, text: id})
	return best, bestLen, bestLen > 0
}

// parseNum reads a number as libpcap's stou does: 0x hex, leading-0 octal,
// else decimal, at most 32 bits.
func parseNum(s string) (uint32, string) {
	base, digits := uint64(10), s
	switch {
	case len(s) > 1 && (s[1] == 'x' || s[1] == 'X'):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	var n uint64
	for _, c := range digits {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		default:
			d = uint64(c-'A') + 10
		}
		if d >= base {
			return 0, "number " + s + " contains non-octal digit"
		}
		n = n*base + d
		if n > 0xffffffff {
			return 0, "number " + s + " overflows 32 bits"
		}
	}
	return uint32(n), ""
}
