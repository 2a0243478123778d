package filter

// The parsed expression: a tree of and/or/not over primitives whose values are
// already checked and resolved, so that compiling it for a link type can only
// fail on what that link type lacks (VLAN tags, Ethernet addresses).

// proto is a protocol qualifier (libpcap's Q_* protocol values).
type proto int

const (
	qDefault proto = iota
	qLink          // ether, link
	qIP
	qIP6
	qARP
	qRARP
	qTCP
	qUDP
	qSCTP
	qICMP
	qICMP6
	qIGMP
	qIGRP
	qPIM
	qVRRP
	qCARP
	qAH
	qESP
)

var protoNames = [...]string{
	qDefault: "", qLink: "ether", qIP: "ip", qIP6: "ip6", qARP: "arp", qRARP: "rarp",
	qTCP: "tcp", qUDP: "udp", qSCTP: "sctp", qICMP: "icmp", qICMP6: "icmp6",
	qIGMP: "igmp", qIGRP: "igrp", qPIM: "pim", qVRRP: "vrrp", qCARP: "carp", qAH: "ah", qESP: "esp",
}

func (p proto) String() string { return protoNames[p] }

// dir is a direction qualifier.
type dir int

const (
	dDefault dir = iota // src or dst
	dSrc
	dDst
	dOr  // src or dst
	dAnd // src and dst
)

// addrKind is an address-type qualifier.
type addrKind int

const (
	aDefault addrKind = iota
	aHost
	aNet
	aPort
	aPortrange
	aProto
	aUndef // after a term that has no qualifiers (libpcap's qerr)
)

// qual is the set of qualifiers in force for a value; libpcap repeats the
// last one for bare values ("host a or b" is "host a or host b").
type qual struct {
	proto proto
	dir   dir
	addr  addrKind
}

var qerr = qual{addr: aUndef}

// IP protocol numbers.
const (
	ipprotoICMP   = 1
	ipprotoIGMP   = 2
	ipprotoTCP    = 6
	ipprotoIGRP   = 9
	ipprotoUDP    = 17
	ipprotoFrag   = 44
	ipprotoESP    = 50
	ipprotoAH     = 51
	ipprotoICMPv6 = 58
	ipprotoPIM    = 103
	ipprotoVRRP   = 112
	ipprotoSCTP   = 132
	protoUndef    = -1 // a port on TCP, UDP or SCTP
)

// EtherTypes.
const (
	ethIP     = 0x0800
	ethARP    = 0x0806
	ethRARP   = 0x8035
	ethIPv6   = 0x86dd
	eth8021Q  = 0x8100
	eth8021AD = 0x88a8
	ethQinQ   = 0x9100
	ethMTU    = 1500
)

type node interface{ isNode() }

type (
	// binNode is "l and r" or "l or r"; l is evaluated first.
	binNode struct {
		and  bool
		l, r node
	}
	notNode struct{ x node }
	// trueNode is the empty expression: every frame matches.
	trueNode struct{}

	// hostNode is an IPv4 host or network (libpcap gen_host): proto is
	// qDefault (IPv4, ARP or RARP), qIP, qARP or qRARP. It has several
	// addresses when merge joined "host a or host b".
	hostNode struct {
		proto proto
		dir   dir
		addrs []uint32
		mask  uint32
	}
	// host6Node is an IPv6 host or network.
	host6Node struct {
		dir        dir
		addr, mask [16]byte
	}
	// ehostNode is an Ethernet address.
	ehostNode struct {
		dir dir
		mac [6]byte
		pos int
	}
	// portNode is a port range on TCP, UDP, SCTP or (protoUndef) any of
	// them, over IPv4 or IPv6; or, when lo == hi, a list of ports (one, or
	// several when merge joined "port 80 or port 443").
	portNode struct {
		ipProto int
		dir     dir
		lo, hi  uint32
		ports   []uint32
	}
	// protoNode is "ip proto N", "ip6 proto N", "proto N" (either) or
	// "ether proto N" (libpcap gen_proto).
	protoNode struct {
		proto proto
		v     uint32
	}
	// abbrevNode is a protocol name alone: tcp, ip6, arp, ...
	abbrevNode struct{ proto proto }
	// relNode compares two arithmetic expressions: l op r, negated when not
	// is set (<=, < and != are the negations of >, >= and =).
	relNode struct {
		op   relop
		not  bool
		l, r arth
	}
	// lenNode is "less N" (len <= N) or "greater N" (len >= N).
	lenNode struct {
		greater bool
		n       uint32
	}
	// vlanNode is "vlan" or "vlan ID"; it moves the offsets of everything
	// after it by the tag's 4 bytes, as libpcap does.
	vlanNode struct {
		id  uint32
		has bool
		pos int
	}
)

func (binNode) isNode()    {}
func (notNode) isNode()    {}
func (trueNode) isNode()   {}
func (hostNode) isNode()   {}
func (host6Node) isNode()  {}
func (ehostNode) isNode()  {}
func (portNode) isNode()   {}
func (protoNode) isNode()  {}
func (abbrevNode) isNode() {}
func (relNode) isNode()    {}
func (lenNode) isNode()    {}
func (vlanNode) isNode()   {}

type relop int

const (
	relGT relop = iota
	relGE
	relEQ
)

// arth is an arithmetic expression.
type arth interface{ isArth() }

type (
	numArth  struct{ v uint32 }
	lenArth  struct{}
	loadArth struct {
		proto proto
		idx   arth
		size  int
	}
	binArth struct {
		op   aluOp
		l, r arth
	}
	negArth struct{ x arth }
)

func (numArth) isArth()  {}
func (lenArth) isArth()  {}
func (loadArth) isArth() {}
func (binArth) isArth()  {}
func (negArth) isArth()  {}

type aluOp int

const (
	opAdd aluOp = iota
	opSub
	opMul
	opDiv
	opMod
	opAnd
	opOr
	opXor
	opLsh
	opRsh
)

// merge joins "or"ed tests of one field against several values, as
// libpcap's optimizer does (its or_pullup), so that "port 80 or 443"
// compares the source port with 80 and 443 before it loads the destination
// port, and "host a or b" the source address with a and b before the
// destination. The result is the same on whole frames; on a frame the snap
// length cut between the two fields it is tcpdump's: kept when the first
// field matches.
func merge(n node) node {
	switch b := n.(type) {
	case notNode:
		return notNode{merge(b.x)}
	case binNode:
		b.l, b.r = merge(b.l), merge(b.r)
		if b.and || b.l == nil {
			return b
		}
		switch l := b.l.(type) {
		case portNode:
			if r, ok := b.r.(portNode); ok && l.ports != nil && r.ports != nil &&
				l.ipProto == r.ipProto && l.dir == r.dir && l.dir != dAnd {
				l.ports = append(append([]uint32(nil), l.ports...), r.ports...)
				return l
			}
		case hostNode:
			if r, ok := b.r.(hostNode); ok && l.proto == r.proto && l.dir == r.dir &&
				l.dir != dAnd && l.mask == r.mask {
				l.addrs = append(append([]uint32(nil), l.addrs...), r.addrs...)
				return l
			}
		}
		return b
	}
	return n
}
