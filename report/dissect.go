package report

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
)

// A Dissection is one frame taken apart as a textbook shows it (--dissect):
// each header, field by field, with its value in words, where it lies in
// the frame, and (for --explain) what the field is for. DissectFrame builds
// it; AppendDissectText and AppendDissectJSON render it, so the text and the
// JSON carry the same fields.
type Dissection struct {
	Frame           uint64
	Time            int64 // ns since the epoch
	Captured, Wire  int   // captured and on-the-wire lengths
	Link            string
	Conn            int    // -1 when the frame is no segment of a selected connection
	Dir             string // "c2s" or "s2c" with Conn
	Side            string // "client" or "server": who sent it, with Conn
	Segment         bool   // the frame is a TCP segment tcpflow analyzed
	Reason          string // why it is not (capture.Reason), when not
	Headers         []DHeader
	PayloadOff      int // where the TCP payload starts in the frame (-1: none)
	PayloadLen      int // its length on the wire
	PayloadCaptured int // how much of it was captured
	PayloadInDgram  bool
	IPSum, TCPSum   capture.Checksum
	data, datagram  []byte
	headersCut      bool
}

// DHeader is one header of a dissected frame.
type DHeader struct {
	Key   string // stable machine name: ethernet, vlan, sll, ipv4, ipv6, tcp, ...
	Title string // its name in words, e.g. "Ethernet II"
	// Off and Len say where it lies: in the frame, or in the datagram
	// rebuilt from IPv4 fragments when InDatagram.
	Off, Len   int
	InDatagram bool
	Note       string // said of the header as a whole (e.g. "not dissected field by field")
	Fields     []DField
}

// DField is one field: its value as data and in words, and its meaning.
type DField struct {
	Key     string // stable machine name, e.g. ttl, seq, window
	Label   string // as the text shows it, e.g. "TTL"
	Value   any    // uint64, int64, string or bool
	Text    string // the value in words, e.g. "64" or "0x2: DF (don't fragment)"
	Detail  string // more of the value in words, on a line of its own (an option's value)
	Meaning string // one line on what the field is for (shown with --explain)
	Sub     []DField
	// JSONOnly marks a sub-field that gives the JSON a typed value the
	// text already shows in its parent's Text (a relative number).
	JSONOnly bool
}

// DissectFrame takes one frame apart. The Frame's Record, when present,
// gives the relative sequence numbers and the scaled window.
func DissectFrame(f *pipeline.Frame) *Dissection {
	d := &Dissection{Frame: f.Number, Time: f.Time, Captured: len(f.Data), Wire: f.WireLen,
		Link: capture.LinkName(f.Link), Conn: -1, PayloadOff: -1, data: f.Data, datagram: f.Datagram,
		headersCut: f.HeadersCut, Segment: f.Record != nil}
	if f.Conn != nil {
		d.Conn, d.Dir, d.Side = f.Conn.ID, f.Dir.String(), f.Dir.Side()
	}
	if !f.Segment {
		d.Reason = f.Reason.String()
	}
	d.IPSum, d.TCPSum = capture.Checksums(&f.Frame)
	ds := dissector{d: d, f: f}
	ds.run()
	return d
}

// dissector builds a Dissection.
type dissector struct {
	d  *Dissection
	f  *pipeline.Frame
	h  *DHeader // the header being filled
	ip *DHeader // the last IP header, for the transport's pseudo-header
}

func (ds *dissector) run() {
	hs := ds.f.Headers
	for i, h := range hs {
		b := ds.f.Bytes(h)
		next := capture.HeaderOther
		if i+1 < len(hs) {
			next = hs[i+1].Kind
		}
		ds.header(i, h, b, next)
	}
}

// add starts a header.
func (ds *dissector) add(key, title string, h capture.Header, n int) {
	ds.d.Headers = append(ds.d.Headers, DHeader{Key: key, Title: title, Off: h.Off, Len: n, InDatagram: h.InDatagram})
	ds.h = &ds.d.Headers[len(ds.d.Headers)-1]
}

// field adds a field to the current header and returns it, for Sub.
func (ds *dissector) field(key, label string, v any, text, meaning string) *DField {
	ds.h.Fields = append(ds.h.Fields, DField{Key: key, Label: label, Value: v, Text: text, Meaning: meaning})
	return &ds.h.Fields[len(ds.h.Fields)-1]
}

func (ds *dissector) num(key, label string, v uint64, meaning string) *DField {
	return ds.field(key, label, v, strconv.FormatUint(v, 10), meaning)
}

func (ds *dissector) header(i int, h capture.Header, b []byte, next capture.HeaderKind) {
	short := func(n int) bool {
		if len(b) >= n {
			return false
		}
		ds.add(headerKey(h.Kind), h.Kind.String(), h, len(b))
		ds.h.Note = "cut short: " + strconv.Itoa(len(b)) + " of its " + strconv.Itoa(n) + " bytes were captured"
		return true
	}
	if d, ok := dissectors[h.Kind]; ok {
		if !short(d.min) {
			d.fn(ds, i, h, b)
		}
		return
	}
	switch h.Kind {
	case capture.HeaderRawIP:
		ds.add("raw", "Raw IP (no link-layer header)", h, 0)
		ds.h.Note = "the capture starts at the IP header: the version nibble says IPv4 or IPv6"
	case capture.HeaderOther:
		ds.other(i, h)
	case capture.HeaderMPLSPayload:
		// No bytes of its own: the MPLS header said what follows.
	default:
		n := h.Len
		if n == 0 {
			n = len(b)
		}
		ds.add(headerKey(h.Kind), h.Kind.String(), h, n)
		ds.h.Note = "not dissected field by field (see the hex dump)"
		if h.Kind == capture.HeaderUnsupported || h.Kind == capture.HeaderEncrypted || h.Kind == capture.HeaderLinkFrag {
			ds.h.Note = "tcpflow does not decode what follows"
		}
	}
}

// dissectors take apart the headers tcpflow shows field by field, each
// once at least min bytes of it were captured.
var dissectors = map[capture.HeaderKind]struct {
	min int
	fn  func(ds *dissector, i int, h capture.Header, b []byte)
}{
	capture.HeaderEthernet: {14, (*dissector).ethernet},
	capture.HeaderDot1Q:    {4, (*dissector).vlan},
	capture.HeaderSLL:      {16, (*dissector).sll},
	capture.HeaderSLL2:     {20, (*dissector).sll2},
	capture.HeaderLoop:     {4, (*dissector).loop},
	capture.HeaderIPv4:     {20, (*dissector).ipv4},
	capture.HeaderIPv6:     {40, (*dissector).ipv6},
	capture.HeaderIPv6Ext:  {8, (*dissector).ipv6Ext},
	capture.HeaderIPv6Frag: {8, (*dissector).ipv6Frag},
	capture.HeaderTCP:      {20, (*dissector).tcp},
	capture.HeaderUDP:      {8, (*dissector).udp},
	capture.HeaderICMPv4:   {4, (*dissector).icmp},
	capture.HeaderICMPv6:   {4, (*dissector).icmp},
}

// headerKey is a header kind's machine name in the JSON.
func headerKey(k capture.HeaderKind) string {
	s := strings.ToLower(k.String())
	s = strings.NewReplacer(" (sll2)", "", " (sll)", "", "linux cooked v2", "sll2", "linux cooked", "sll",
		" ", "_", ".", "", "-", "_").Replace(s)
	return s
}

func mac(b []byte) string { return macString(b) }

func hexv(v uint64, digits int) string {
	s := strconv.FormatUint(v, 16)
	for len(s) < digits {
		s = "0" + s
	}
	return "0x" + s
}

// etherTypeField adds an EtherType field.
func (ds *dissector) etherTypeField(key, label string, t uint16, meaning string) {
	name := tdTok(etherTypeNames, uint(t), "")
	text := hexv(uint64(t), 4)
	switch {
	case t <= 1500:
		text = strconv.Itoa(int(t)) + " (a length: an IEEE 802.3 frame, an LLC header follows)"
	case name != "":
		text += " (" + name + ")"
	}
	ds.field(key, label, uint64(t), text, meaning)
}

func (ds *dissector) ethernet(_ int, h capture.Header, b []byte) {
	ds.add("ethernet", "Ethernet II", h, 14)
	ds.field("destination", "destination", mac(b[0:6]), macNote(b[0:6]), "the MAC address of the next hop (the station on this link the frame is for)")
	ds.field("source", "source", mac(b[6:12]), macNote(b[6:12]), "the MAC address of the interface that sent the frame")
	ds.etherTypeField("ethertype", "EtherType", be16(b[12:]), "which protocol the payload is (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP)")
}

// macNote adds what a MAC address is, when special.
func macNote(b []byte) string {
	s := mac(b)
	switch {
	case !nonzero(b):
		return s + " (all zero: a loopback interface has no MAC address)"
	case b[0]&b[1]&b[2]&b[3]&b[4]&b[5] == 0xff:
		return s + " (broadcast)"
	case b[0]&1 != 0:
		return s + " (multicast)"
	}
	return s
}

func (ds *dissector) vlan(_ int, h capture.Header, b []byte) {
	ds.add("vlan", "802.1Q VLAN tag", h, 4)
	// The tag's own type (0x8100, 0x88a8) is the EtherType before it.
	tci := be16(b)
	ds.num("pcp", "priority (PCP)", uint64(tci>>13), "IEEE 802.1p class of service, 0 (best effort) to 7 (highest)")
	ds.field("dei", "drop eligible", tci&0x1000 != 0, yesNo(tci&0x1000 != 0), "may be dropped first under congestion (DEI)")
	ds.num("vid", "VLAN ID", uint64(tci&0xfff), "the virtual LAN the frame belongs to (12 bits)")
	ds.etherTypeField("ethertype", "EtherType", be16(b[2:]), "what follows the tag")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var sllTypes = map[uint16]string{0: "to us (host)", 1: "broadcast", 2: "multicast", 3: "to another host", 4: "outgoing: sent by us"}

func (ds *dissector) sll(_ int, h capture.Header, b []byte) {
	ds.add("sll", "Linux cooked capture (SLL)", h, 16)
	ds.sllType(be16(b))
	ds.arphrd(be16(b[2:]))
	alen := int(be16(b[4:]))
	ds.num("address_length", "address length", uint64(alen), "how many bytes of the address field are used")
	ds.field("address", "address", mac(b[6:6+min(alen, 8)]), mac(b[6:6+min(alen, 8)]), "the link-layer source address (8-byte field)")
	ds.etherTypeField("protocol", "protocol", be16(b[14:]), "the EtherType of what follows")
}

func (ds *dissector) sllType(t uint16) {
	ds.field("packet_type", "packet type", uint64(t), strconv.Itoa(int(t))+" ("+sllName(t)+")",
		"how the packet passed the interface: tcpdump -i any captures both ways")
}

func sllName(t uint16) string {
	if s, ok := sllTypes[t]; ok {
		return s
	}
	return "unknown"
}

var arphrdNames = map[uint16]string{1: "Ethernet", 772: "loopback", 776: "IPv6-in-IPv4", 65534: "none (a tunnel)", 32: "InfiniBand", 803: "802.11 radiotap"}

func (ds *dissector) arphrd(t uint16) {
	text := strconv.Itoa(int(t))
	if n, ok := arphrdNames[t]; ok {
		text += " (" + n + ")"
	}
	ds.field("arphrd_type", "link type", uint64(t), text, "the interface's hardware type (ARPHRD_*)")
}

func (ds *dissector) sll2(_ int, h capture.Header, b []byte) {
	ds.add("sll2", "Linux cooked capture v2 (SLL2)", h, 20)
	ds.etherTypeField("protocol", "protocol", be16(b), "the EtherType of what follows")
	ds.num("interface_index", "interface index", uint64(be32(b[4:])), "which interface the packet passed (ip link numbers them)")
	ds.arphrd(be16(b[8:]))
	ds.sllType(uint16(b[10]))
	alen := int(b[11])
	ds.num("address_length", "address length", uint64(alen), "how many bytes of the address field are used")
	ds.field("address", "address", mac(b[12:12+min(alen, 8)]), mac(b[12:12+min(alen, 8)]), "the link-layer source address (8-byte field)")
}

func (ds *dissector) loop(_ int, h capture.Header, b []byte) {
	ds.add("loopback", "BSD loopback", h, 4)
	fam := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	if ds.f.Link == layers.LinkTypeLoop || fam&0xffff0000 != 0 {
		fam = be32(b)
	}
	text := strconv.Itoa(int(fam))
	switch fam {
	case 2:
		text += " (IPv4)"
	case 24, 28, 30:
		text += " (IPv6)"
	}
	ds.field("family", "address family", uint64(fam), text, "the socket address family of the packet (AF_INET, AF_INET6), in the capturing host's byte order")
}

var ipProtoWords = map[byte]string{0: "IPv6 hop-by-hop options", 1: "ICMP", 2: "IGMP", 4: "IPv4 in IP", 6: "TCP", 17: "UDP",
	41: "IPv6 in IP", 43: "IPv6 routing header", 44: "IPv6 fragment header", 47: "GRE", 50: "ESP", 51: "AH",
	58: "ICMPv6", 59: "no next header", 60: "IPv6 destination options", 89: "OSPF", 132: "SCTP", 137: "MPLS in IP"}

// ipProtoName names an IP protocol number.
func ipProtoName(p byte) string {
	if n, ok := ipProtoWords[p]; ok {
		return strconv.Itoa(int(p)) + " (" + n + ")"
	}
	return strconv.Itoa(int(p))
}

var dscpNames = map[byte]string{0: "CS0, default: best effort", 8: "CS1, low priority", 10: "AF11", 12: "AF12", 14: "AF13",
	16: "CS2", 18: "AF21", 20: "AF22", 22: "AF23", 24: "CS3", 26: "AF31", 28: "AF32", 30: "AF33", 32: "CS4",
	34: "AF41", 36: "AF42", 38: "AF43", 40: "CS5", 44: "VOICE-ADMIT", 46: "EF, expedited forwarding", 48: "CS6, network control", 56: "CS7"}

var ecnNames = [4]string{"Not-ECT: not ECN-capable", "ECT(1): ECN-capable", "ECT(0): ECN-capable", "CE: congestion experienced"}

func (ds *dissector) tos(key string, tos byte) {
	dscp, ecn := tos>>2, tos&3
	text := strconv.Itoa(int(dscp))
	if n, ok := dscpNames[dscp]; ok {
		text += " (" + n + ")"
	}
	ds.field(key+"dscp", "DSCP", uint64(dscp), text, "Differentiated Services: the forwarding class routers may treat it by (RFC 2474)")
	ds.field(key+"ecn", "ECN", uint64(ecn), strconv.Itoa(int(ecn))+" ("+ecnNames[ecn]+")",
		"Explicit Congestion Notification: routers mark instead of dropping (RFC 3168)")
}

func (ds *dissector) ipv4(i int, h capture.Header, b []byte) {
	ihl := int(b[0] & 0xf)
	n := ihl * 4
	ds.add("ipv4", "IPv4", h, min(n, len(b)))
	ds.ip = ds.h
	ds.num("version", "version", uint64(b[0]>>4), "4: this is an IPv4 header")
	text := strconv.Itoa(ihl) + " words of 4 bytes = " + strconv.Itoa(n) + " bytes"
	if n == 20 {
		text += ", no options"
	} else if n > 20 {
		text += ": 20 fixed + " + strconv.Itoa(n-20) + " of options"
	}
	ds.field("ihl", "header length", uint64(ihl), text, "IHL: the header's length in 32-bit words (5 without options, at most 15)")
	ds.tos("", b[1])
	total := int(be16(b[2:]))
	tt := strconv.Itoa(total) + " bytes"
	if total >= n {
		tt += " = " + strconv.Itoa(n) + " header + " + ds.payloadWords(i, total-n)
	}
	if total == 0 {
		tt = "0 (left for the network card to fill in: segmentation offload; the frame decides)"
	}
	ds.field("total_length", "total length", uint64(total), tt, "the whole datagram, header included; at most 65535")
	id := be16(b[4:])
	ds.field("id", "identification", uint64(id), strconv.Itoa(int(id))+" ("+hexv(uint64(id), 4)+")",
		"numbers the datagram, so that its fragments can be put back together")
	fl := be16(b[6:])
	ft := hexv(uint64(fl>>13), 1) + ":"
	parts := []string{}
	if fl&0x8000 != 0 {
		parts = append(parts, "reserved bit set (evil bit, RFC 3514)")
	}
	if fl&0x4000 != 0 {
		parts = append(parts, "DF (don't fragment)")
	}
	if fl&0x2000 != 0 {
		parts = append(parts, "MF (more fragments follow)")
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	ft += " " + strings.Join(parts, ", ")
	f := ds.field("flags", "flags", uint64(fl>>13), ft, "DF forbids routers to fragment it (path MTU discovery); MF: more fragments follow")
	f.Sub = []DField{
		{Key: "df", Label: "DF", Value: fl&0x4000 != 0, Text: setText(fl&0x4000 != 0)},
		{Key: "mf", Label: "MF", Value: fl&0x2000 != 0, Text: setText(fl&0x2000 != 0)},
	}
	off := uint64(fl&0x1fff) * 8
	ot := strconv.Itoa(int(fl&0x1fff)) + " x 8 = byte " + strconv.FormatUint(off, 10)
	if off == 0 && fl&0x2000 == 0 {
		ot = "0 (not a fragment)"
	}
	ds.field("fragment_offset", "fragment offset", off, ot, "where this fragment's data goes in the original datagram, in 8-byte units")
	ds.num("ttl", "TTL", uint64(b[8]), "time to live: each router takes 1 off and drops the datagram at 0 (Linux starts at 64)")
	ds.field("protocol", "protocol", uint64(b[9]), ipProtoName(b[9]), "what the payload is (6 TCP, 17 UDP, 1 ICMP)")
	c := capture.IPv4HeaderChecksum(b)
	ds.field("checksum", "header checksum", uint64(be16(b[10:])), sumText(c, false), "covers the header only; recomputed by every router, since the TTL changes")
	ds.field("source", "source", netip.AddrFrom4([4]byte(b[12:16])).String(), netip.AddrFrom4([4]byte(b[12:16])).String(), "the sender's address")
	ds.field("destination", "destination", netip.AddrFrom4([4]byte(b[16:20])).String(), netip.AddrFrom4([4]byte(b[16:20])).String(), "the address it is for")
	if n > 20 && len(b) >= n {
		ds.ipv4Options(b[20:n])
	}
	if fl&0x3fff != 0 && i+1 == len(ds.f.Headers) {
		ds.h.Note = "a fragment: its " + strconv.Itoa(max(total-n, 0)) + " bytes of data wait for the rest of the datagram, " +
			"which the frame of its last fragment shows whole"
	}
	if ds.f.Datagram != nil && i+1 < len(ds.f.Headers) && ds.f.Headers[i+1].InDatagram {
		ds.h.Note = "the last fragment of a datagram: the headers below are in the datagram rebuilt from its fragments (" +
			strconv.Itoa(len(ds.f.Datagram)) + " bytes after the IP header)"
	}
}

// payloadWords says what the n bytes after IP header i are: a TCP header
// and its data when TCP follows right away, else a payload.
func (ds *dissector) payloadWords(i, n int) string {
	hs := ds.f.Headers
	if i+1 < len(hs) && hs[i+1].Kind == capture.HeaderTCP && !hs[i+1].InDatagram {
		if t := hs[i+1].Len; t >= 20 && t <= n {
			return strconv.Itoa(t) + " TCP header + " + strconv.Itoa(n-t) + " data"
		}
	}
	return strconv.Itoa(n) + " payload"
}

func setText(b bool) string {
	if b {
		return "set"
	}
	return "not set"
}

// sumText says what checking a checksum found.
func sumText(c capture.Checksum, transport bool) string {
	s := hexv(uint64(c.Stored), 4)
	switch c.Status {
	case capture.ChecksumGood:
		return s + " (correct)"
	case capture.ChecksumBad:
		return s + " (wrong: should be " + hexv(uint64(c.Want), 4) + ")"
	case capture.ChecksumUnfilled:
		if transport {
			return s + " (left for the network card to fill in: checksum offload, as captured on the sending host; the right value would be " + hexv(uint64(c.Want), 4) + ")"
		}
		return s + " (zero: left for the network card to fill in, checksum offload; the right value would be " + hexv(uint64(c.Want), 4) + ")"
	case capture.ChecksumUnverified:
		return s + " (not checked: the capture cut some of the bytes it covers)"
	}
	return s + " (none)"
}

var ipOptNames = map[byte]string{0: "end of options", 1: "no-operation (padding)", 7: "record route", 68: "timestamp",
	130: "security", 131: "loose source route", 137: "strict source route", 148: "router alert", 82: "traceroute", 136: "stream ID"}

func (ds *dissector) ipv4Options(b []byte) {
	f := ds.field("options", "options", uint64(len(b)), strconv.Itoa(len(b))+" bytes", "optional fields, rare today")
	for len(b) > 0 {
		n := 1
		if b[0] > 1 {
			if len(b) < 2 || b[1] < 2 || int(b[1]) > len(b) {
				n = len(b)
			} else {
				n = int(b[1])
			}
		}
		name := ipOptNames[b[0]]
		if name == "" {
			name = "option " + strconv.Itoa(int(b[0]))
		}
		f.Sub = append(f.Sub, DField{Key: "option", Label: name, Value: hexBytes(b[:n]), Text: hexBytes(b[:n])})
		b = b[n:]
	}
}

func hexBytes(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			s = append(s, ' ')
		}
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

func (ds *dissector) ipv6(i int, h capture.Header, b []byte) {
	ds.add("ipv6", "IPv6", h, 40)
	ds.ip = ds.h
	ds.num("version", "version", uint64(b[0]>>4), "6: this is an IPv6 header")
	tc := b[0]<<4 | b[1]>>4
	ds.field("traffic_class", "traffic class", uint64(tc), hexv(uint64(tc), 2), "DSCP and ECN, as in IPv4's type of service byte")
	ds.tos("", tc)
	fl := be32(b) & 0xfffff
	ds.field("flow_label", "flow label", uint64(fl), hexv(uint64(fl), 5), "set by the sender to keep a flow's packets on one path (RFC 6437)")
	plen := be16(b[4:])
	pt := strconv.Itoa(int(plen)) + " bytes after this 40-byte header"
	if w := ds.payloadWords(i, int(plen)); strings.Contains(w, "TCP") {
		pt += " = " + w
	}
	if plen == 0 {
		pt = "0 (a jumbogram: the hop-by-hop jumbo payload option holds the length)"
	}
	ds.field("payload_length", "payload length", uint64(plen), pt, "extension headers and payload; unlike IPv4's, the fixed header is not counted")
	ds.field("next_header", "next header", uint64(b[6]), ipProtoName(b[6]), "what follows: an extension header or the payload's protocol")
	ds.num("hop_limit", "hop limit", uint64(b[7]), "IPv6's TTL: each router takes 1 off and drops the packet at 0")
	src, dst := netip.AddrFrom16([16]byte(b[8:24])).String(), netip.AddrFrom16([16]byte(b[24:40])).String()
	ds.field("source", "source", src, src, "the sender's address")
	ds.field("destination", "destination", dst, dst, "the address it is for (the next segment's, with a routing header)")
}

// extName names the extension header at i by the next-header field before it.
func (ds *dissector) extType(i int) byte {
	if i == 0 {
		return 0
	}
	p := ds.f.Headers[i-1]
	b := ds.f.Bytes(p)
	switch {
	case p.Kind == capture.HeaderIPv6 && len(b) > 6:
		return b[6]
	case (p.Kind == capture.HeaderIPv6Ext || p.Kind == capture.HeaderIPv6Frag) && len(b) > 0:
		return b[0]
	}
	return 0
}

var (
	extTitles   = map[byte]string{0: "IPv6 hop-by-hop options", 43: "IPv6 routing header", 60: "IPv6 destination options"}
	extKeys     = map[byte]string{0: "ipv6_hop_by_hop", 43: "ipv6_routing", 60: "ipv6_destination"}
	ip6OptNames = map[byte]string{0: "Pad1", 1: "PadN", 5: "router alert", 0xc2: "jumbo payload", 4: "tunnel encapsulation limit", 0xc9: "home address"}
)

func (ds *dissector) ipv6Ext(i int, h capture.Header, b []byte) {
	t := ds.extType(i)
	n := (int(b[1]) + 1) * 8
	title := extTitles[t]
	if title == "" {
		title = "IPv6 extension header"
	}
	ds.add(headerKey(capture.HeaderIPv6Ext), title, h, min(n, len(b)))
	ds.h.Key = extKeys[t]
	ds.field("next_header", "next header", uint64(b[0]), ipProtoName(b[0]), "what follows this extension header")
	ds.field("length", "header length", uint64(b[1]), strconv.Itoa(int(b[1]))+": ("+strconv.Itoa(int(b[1]))+" + 1) x 8 = "+strconv.Itoa(n)+" bytes",
		"in 8-byte units, not counting the first 8 bytes")
	if len(b) < n {
		return
	}
	if t == 43 {
		ds.num("routing_type", "routing type", uint64(b[2]), "0 (deprecated), 2 (mobility), 4 (segment routing, RFC 8754)")
		ds.num("segments_left", "segments left", uint64(b[3]), "how many listed nodes are still to be visited")
		for a := 8; a+16 <= n; a += 16 {
			s := netip.AddrFrom16([16]byte(b[a : a+16])).String()
			ds.field("address", "address", s, s, "")
		}
		return
	}
	f := ds.field("options", "options", uint64(n-2), strconv.Itoa(n-2)+" bytes", "type-length-value options; the top two bits of a type say what to do if it is unknown")
	for o := b[2:n]; len(o) > 0; {
		l := 1
		if o[0] != 0 {
			l = len(o)
			if len(o) >= 2 && 2+int(o[1]) <= len(o) {
				l = 2 + int(o[1])
			}
		}
		name := ip6OptNames[o[0]]
		if name == "" {
			name = "type " + hexv(uint64(o[0]), 2)
		}
		f.Sub = append(f.Sub, DField{Key: "option", Label: name, Value: hexBytes(o[:l]), Text: hexBytes(o[:l])})
		o = o[l:]
	}
}

func (ds *dissector) ipv6Frag(_ int, h capture.Header, b []byte) {
	ds.add("ipv6_fragment", "IPv6 fragment header", h, 8)
	ds.field("next_header", "next header", uint64(b[0]), ipProtoName(b[0]), "what the fragmented payload is")
	off := be16(b[2:])
	ds.field("fragment_offset", "fragment offset", uint64(off>>3)*8, strconv.Itoa(int(off>>3))+" x 8 = byte "+strconv.Itoa(int(off>>3)*8),
		"where this fragment's data goes in the original packet")
	ds.field("more_fragments", "more fragments", off&1 != 0, yesNo(off&1 != 0), "M flag: more fragments follow")
	id := be32(b[4:])
	ds.field("id", "identification", uint64(id), hexv(uint64(id), 8), "the same in every fragment of one packet")
}

func (ds *dissector) udp(i int, h capture.Header, b []byte) {
	ds.add("udp", "UDP", h, 8)
	ds.num("source_port", "source port", uint64(be16(b)), "the sending application's port")
	ds.num("destination_port", "destination port", uint64(be16(b[2:])), "the receiving application's port")
	l := be16(b[4:])
	ds.field("length", "length", uint64(l), strconv.Itoa(int(l))+" bytes = 8 header + "+strconv.Itoa(max(int(l)-8, 0))+" data", "header and data")
	c := capture.ChecksumAt(&ds.f.Frame, i)
	ds.field("checksum", "checksum", uint64(be16(b[6:])), sumText(c, true), "covers a pseudo-header of the IP addresses, the header and the data; 0 over IPv4: not computed")
}

func (ds *dissector) icmp(i int, h capture.Header, b []byte) {
	v6 := h.Kind == capture.HeaderICMPv6
	title, key := "ICMP", "icmp"
	if v6 {
		title, key = "ICMPv6", "icmpv6"
	}
	ds.add(key, title, h, min(8, len(b)))
	t, code := b[0], b[1]
	ds.field("type", "type", uint64(t), strconv.Itoa(int(t))+" ("+icmpTypeName(v6, t)+")", "the message's kind")
	ct := strconv.Itoa(int(code))
	if w := icmpCodeWords(v6, t, code); w != "" {
		ct += " (" + w + ")"
	}
	ds.field("code", "code", uint64(code), ct, "the detail within the type (for destination unreachable: why)")
	c := capture.ChecksumAt(&ds.f.Frame, i)
	ds.field("checksum", "checksum", uint64(be16(b[2:])), sumText(c, true), "covers the whole message (over IPv6 with a pseudo-header)")
	if len(b) >= 8 {
		if (!v6 && (t == 0 || t == 8)) || (v6 && (t == 128 || t == 129)) {
			ds.num("id", "identifier", uint64(be16(b[4:])), "matches replies to requests (ping's process)")
			ds.num("sequence", "sequence", uint64(be16(b[6:])), "counts the requests")
		} else if icmpIsError(v6, t) {
			ds.h.Note = "an error message: after its 8 bytes it quotes the start of the datagram that caused it"
		}
	}
}

var unreachWords = map[byte]string{0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable",
	3: "port unreachable", 4: "fragmentation needed (path MTU discovery)", 9: "network administratively prohibited",
	10: "host administratively prohibited", 13: "communication administratively prohibited"}

var exceededWords = map[byte]string{0: "TTL exceeded in transit", 1: "fragment reassembly time exceeded"}

// icmpCodeWords names the code of a destination unreachable or time
// exceeded message.
func icmpCodeWords(v6 bool, t, code byte) string {
	switch {
	case v6 && t == 1:
		return strings.TrimSpace(tdTok(icmp6UnreachNames, uint(code), ""))
	case v6 && t == 3, !v6 && t == 11:
		return exceededWords[code]
	case !v6 && t == 3:
		return unreachWords[code]
	}
	return ""
}

func icmpIsError(v6 bool, t byte) bool {
	if v6 {
		return t < 128
	}
	return t == 3 || t == 4 || t == 5 || t == 11 || t == 12
}

var icmpTypeWords = map[byte]string{0: "echo reply", 3: "destination unreachable", 4: "source quench", 5: "redirect", 8: "echo request",
	11: "time exceeded", 12: "parameter problem", 13: "timestamp", 14: "timestamp reply"}

func icmpTypeName(v6 bool, t byte) string {
	if v6 {
		return tdTok(icmp6Names, uint(t), "unknown")
	}
	if n, ok := icmpTypeWords[t]; ok {
		return n
	}
	return "unknown"
}

// other names what tcpflow does not decode: ARP is dissected, the rest named.
func (ds *dissector) other(i int, h capture.Header) {
	var typ uint16
	if i > 0 {
		p := ds.f.Headers[i-1]
		pb := ds.f.Bytes(p)
		switch {
		case p.Kind == capture.HeaderEthernet && len(pb) >= 14:
			typ = be16(pb[12:])
		case p.Kind == capture.HeaderDot1Q && len(pb) >= 4:
			typ = be16(pb[2:])
		case p.Kind == capture.HeaderSLL && len(pb) >= 16:
			typ = be16(pb[14:])
		case p.Kind == capture.HeaderSLL2 && len(pb) >= 2:
			typ = be16(pb)
		case p.Kind == capture.HeaderIPv4 || p.Kind == capture.HeaderIPv6 || p.Kind == capture.HeaderIPv6Ext:
			ds.add("payload", "IP payload", h, len(ds.f.Rest(h)))
			ds.h.Note = "a protocol tcpflow does not decode"
			return
		}
	}
	b := ds.f.Rest(h)
	if typ == 0x0806 && len(b) >= 28 && be16(b) == 1 && be16(b[2:]) == 0x0800 && b[4] == 6 && b[5] == 4 {
		ds.arp(h, b)
		return
	}
	ds.add("payload", "link-layer payload", h, len(b))
	if name := tdTok(etherTypeNames, uint(typ), ""); name != "" {
		ds.h.Title = name
	}
	ds.h.Note = "a protocol tcpflow does not decode"
}

func (ds *dissector) arp(h capture.Header, b []byte) {
	ds.add("arp", "ARP", h, 28)
	ds.field("hardware_type", "hardware type", uint64(1), "1 (Ethernet)", "the kind of link-layer address asked for")
	ds.field("protocol_type", "protocol type", uint64(0x0800), "0x0800 (IPv4)", "the kind of network address it maps")
	ds.num("hardware_length", "hardware size", uint64(b[4]), "bytes in a MAC address")
	ds.num("protocol_length", "protocol size", uint64(b[5]), "bytes in an IPv4 address")
	op := be16(b[6:])
	ds.field("opcode", "opcode", uint64(op), strconv.Itoa(int(op))+" ("+tdTok(arpOps, uint(op), "unknown")+")", "1 asks who has an address, 2 answers")
	sm, tm := mac(b[8:14]), mac(b[18:24])
	sip, tip := netip.AddrFrom4([4]byte(b[14:18])).String(), netip.AddrFrom4([4]byte(b[24:28])).String()
	ds.field("sender_mac", "sender MAC", sm, sm, "")
	ds.field("sender_ip", "sender IP", sip, sip, "")
	ds.field("target_mac", "target MAC", tm, tm, "unknown (zero) in a request")
	ds.field("target_ip", "target IP", tip, tip, "")
}

// tcpFlagNames are the TCP flags from the highest bit of the 12-bit field
// down (RFC 9293 section 3.1; AE, the former NS, from RFC 9768).
var tcpFlagNames = [...]struct {
	bit           capture.Flags
	name, meaning string
}{
	{capture.AE, "AE", "accurate ECN (formerly NS, the ECN nonce)"},
	{capture.CWR, "CWR", "congestion window reduced: the sender reacted to an ECE"},
	{capture.ECE, "ECE", "ECN echo: the receiver saw congestion marked (or, on a SYN, ECN offered)"},
	{capture.URG, "URG", "the urgent pointer is valid"},
	{capture.ACK, "ACK", "the acknowledgment number is valid (set on all but the first SYN)"},
	{capture.PSH, "PSH", "push: deliver the data to the application now"},
	{capture.RST, "RST", "reset: abort the connection"},
	{capture.SYN, "SYN", "synchronize: the sender's initial sequence number; uses one number"},
	{capture.FIN, "FIN", "finish: the sender has no more data to send; uses one number"},
}

var tcpOptNames = map[byte]string{0: "end of options", 1: "no-operation", 2: "MSS", 3: "window scale",
	4: "SACK permitted", 5: "SACK", 8: "timestamps", 19: "TCP MD5 signature", 28: "user timeout", 29: "TCP-AO",
	30: "multipath TCP", 34: "TCP Fast Open cookie", 69: "TCP-ENO", 172: "AccECN order 0", 174: "AccECN order 1", 253: "experimental", 254: "experimental"}

func (ds *dissector) tcp(_ int, h capture.Header, b []byte) {
	hdr := int(b[12]>>4) * 4
	ds.add("tcp", "TCP", h, min(max(hdr, 20), len(b)))
	rec := ds.f.Record
	ds.num("source_port", "source port", uint64(be16(b)), "the sending application's port (a client's is usually ephemeral, 32768-60999 on Linux)")
	ds.num("destination_port", "destination port", uint64(be16(b[2:])), "the receiving application's port")
	flags := capture.Flags(b[13]) | capture.Flags(b[12]&1)<<8
	seq, ack := be32(b[4:]), be32(b[8:])
	st := strconv.FormatUint(uint64(seq), 10)
	if rec != nil {
		st += " (relative " + strconv.FormatUint(uint64(rec.RelSeq), 10) + ")"
	}
	sq := ds.field("seq", "sequence number", uint64(seq), st, "the number of the first data byte (of the SYN or FIN when there is no data)")
	if rec != nil {
		sq.Sub = []DField{{Key: "relative", Label: "relative", Value: uint64(rec.RelSeq), Text: strconv.FormatUint(uint64(rec.RelSeq), 10), JSONOnly: true}}
	}
	at := strconv.FormatUint(uint64(ack), 10)
	switch {
	case flags&capture.ACK == 0:
		at += " (not valid: no ACK flag)"
	case rec != nil:
		at += " (relative " + strconv.FormatUint(uint64(rec.RelAck), 10) + ")"
	}
	af := ds.field("ack", "ack number", uint64(ack), at, "with ACK: the next byte the sender expects from the other side")
	if rec != nil && flags&capture.ACK != 0 {
		af.Sub = []DField{{Key: "relative", Label: "relative", Value: uint64(rec.RelAck), Text: strconv.FormatUint(uint64(rec.RelAck), 10), JSONOnly: true}}
	}
	text := strconv.Itoa(hdr/4) + " words of 4 bytes = " + strconv.Itoa(hdr) + " bytes"
	if hdr == 20 {
		text += ", no options"
	} else if hdr > 20 {
		text += ": 20 fixed + " + strconv.Itoa(hdr-20) + " of options"
	} else {
		text += " (bogus: below the 20 bytes of the fixed header)"
	}
	ds.field("data_offset", "data offset", uint64(hdr/4), text, "the header's length in 32-bit words: where the data starts")
	var names []string // lowest bit first, as Wireshark lists them: SYN, ACK
	for i := len(tcpFlagNames) - 1; i >= 0; i-- {
		if fl := tcpFlagNames[i]; flags&fl.bit != 0 {
			names = append(names, fl.name)
		}
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	ff := ds.field("flags", "flags", uint64(flags), hexv(uint64(flags), 3)+" ("+strings.Join(names, ", ")+")", "the control bits, one by one below")
	for i, fl := range tcpFlagNames {
		set := flags&fl.bit != 0
		pattern := []byte(".... .... ....")
		pos := i + 3 // after the 3 reserved bits; a space after every 4 bits
		idx := pos + pos/4
		if set {
			pattern[idx] = '1'
		} else {
			pattern[idx] = '0'
		}
		ff.Sub = append(ff.Sub, DField{Key: strings.ToLower(fl.name), Label: string(pattern), Value: set, Text: fl.name + ": " + setText(set), Meaning: fl.meaning})
	}
	win := be16(b[14:])
	wt := strconv.Itoa(int(win))
	var scaled any
	switch {
	case flags&capture.SYN != 0:
		wt += " bytes (on a SYN the window is never scaled)"
		scaled = int64(win)
	case flags&capture.RST != 0:
		wt += " (a reset's window means nothing: the connection is gone)"
	case rec == nil:
	case rec.WinScaled < 0:
		wt += " (scale unknown: the handshake was not captured)"
	case win == 0:
		wt += " (zero window: the receiver's buffer is full)"
		scaled = int64(0)
	case rec.WinScaled == int64(win):
		wt += " bytes (no window scaling)"
		scaled = rec.WinScaled
	default:
		factor := rec.WinScaled / int64(win)
		shift := 0
		for factor > 1<<shift {
			shift++
		}
		wt += " x " + strconv.FormatInt(factor, 10) + " (scale shift " + strconv.Itoa(shift) + ") = " + strconv.FormatInt(rec.WinScaled, 10) + " bytes"
		if rec.ScaleAssumed {
			wt += " (scale assumed)"
		}
		scaled = rec.WinScaled
	}
	wf := ds.field("window", "window", uint64(win), wt, "how many more bytes the sender can receive beyond the ack number; scaled by the shift its SYN announced")
	if scaled != nil {
		wf.Sub = []DField{{Key: "scaled", Label: "scaled", Value: scaled, Text: strconv.FormatInt(scaled.(int64), 10), JSONOnly: true}}
	}
	ds.field("checksum", "checksum", uint64(be16(b[16:])), sumText(ds.d.TCPSum, true), "covers a pseudo-header (addresses, protocol, length), the header and the data")
	urg := be16(b[18:])
	ut := strconv.Itoa(int(urg))
	if flags&capture.URG == 0 {
		ut += " (not used: no URG flag)"
	}
	ds.field("urgent_pointer", "urgent pointer", uint64(urg), ut, "with URG: where urgent data ends, as an offset from the sequence number")
	if hdr > 20 {
		ds.tcpOptions(b[20:min(hdr, len(b))], hdr-20)
	}
	if len(b) >= hdr && hdr >= 20 && h.Wire > hdr {
		ds.d.PayloadOff, ds.d.PayloadLen = h.Off+hdr, h.Wire-hdr
		ds.d.PayloadCaptured = min(len(ds.f.Rest(h)), h.Wire) - hdr
		ds.d.PayloadInDgram = h.InDatagram
	}
}

func (ds *dissector) tcpOptions(b []byte, n int) {
	text := strconv.Itoa(n) + " bytes"
	if len(b) < n {
		text += " (" + strconv.Itoa(len(b)) + " captured)"
	}
	f := ds.field("options", "options", uint64(n), text, "each option: kind, length, value; no-operations pad them to 4-byte boundaries")
	for len(b) > 0 {
		k := b[0]
		l := 1
		if k > 1 {
			l = len(b)
			if len(b) >= 2 && b[1] >= 2 && int(b[1]) <= len(b) {
				l = int(b[1])
			}
		}
		o := b[:l]
		name := tcpOptNames[k]
		if name == "" {
			name = "kind " + strconv.Itoa(int(k))
		}
		f.Sub = append(f.Sub, DField{Key: tcpOptKey(k), Label: name, Value: hexBytes(o), Text: hexBytes(o), Detail: tcpOptValue(o)})
		b = b[l:]
		if k == 0 {
			break
		}
	}
}

var tcpOptKeys = map[byte]string{0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sack_permitted", 5: "sack", 8: "timestamps", 30: "mptcp", 34: "tfo"}

func tcpOptKey(k byte) string {
	if s, ok := tcpOptKeys[k]; ok {
		return s
	}
	return "kind_" + strconv.Itoa(int(k))
}

// tcpOptValue says an option's bytes and value in words.
func tcpOptValue(o []byte) string {
	if o[0] <= 1 {
		return "kind " + strconv.Itoa(int(o[0])) + ", one byte: " + optWords(o)
	}
	s := "kind " + strconv.Itoa(int(o[0])) + ", length " + strconv.Itoa(len(o))
	if len(o) >= 2 && int(o[1]) != len(o) {
		s = "kind " + strconv.Itoa(int(o[0])) + ", length " + strconv.Itoa(int(o[1])) + " (" + strconv.Itoa(len(o)) + " bytes captured)"
	}
	if w := optWords(o); w != "" {
		s += ": " + w
	}
	return s
}

// optWords says an option's value in words.
func optWords(o []byte) string {
	switch {
	case o[0] == 0:
		return "the end of the options"
	case o[0] == 1:
		return "padding, so that the next option starts on a 4-byte boundary"
	case o[0] == 2 && len(o) == 4:
		return "MSS " + strconv.Itoa(int(be16(o[2:]))) + ", the largest payload it wants to receive in one segment"
	case o[0] == 3 && len(o) == 3:
		return "shift " + strconv.Itoa(int(o[2])) + ", so its later windows are to be multiplied by " + strconv.Itoa(1<<min(o[2], 14))
	case o[0] == 4:
		return "it understands selective acknowledgments (RFC 2018)"
	case o[0] == 5 && len(o) >= 10:
		var bl []string
		for p := o[2:]; len(p) >= 8; p = p[8:] {
			bl = append(bl, strconv.FormatUint(uint64(be32(p)), 10)+"-"+strconv.FormatUint(uint64(be32(p[4:])), 10))
		}
		return "received beyond the ack: " + strings.Join(bl, ", ")
	case o[0] == 8 && len(o) == 10:
		return "TSval " + strconv.FormatUint(uint64(be32(o[2:])), 10) + ", TSecr " + strconv.FormatUint(uint64(be32(o[6:])), 10) + " (RFC 7323)"
	}
	return ""
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be32(b []byte) uint32 { return uint32(be16(b))<<16 | uint32(be16(b[2:])) }
