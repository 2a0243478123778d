package capture

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// decoder turns one frame into a Segment. It holds one preallocated instance of
// every gopacket layer it uses and reuses them for every frame, and the headers
// gopacket has no DecodingLayer for are read by the functions in link.go and
// tunnel.go, so decoding a frame allocates nothing (gopacket's DecodingLayer
// contract); only IPv4 fragments are copied, for reassembly.
type decoder struct {
	eth    layers.Ethernet
	dot1q  layers.Dot1Q
	llc    layers.LLC
	snap   layers.SNAP
	loop   layers.Loopback
	ip4    layers.IPv4
	ext    layers.IPv6ExtensionSkipper
	frag6  layers.IPv6Fragment
	gre    layers.GRE
	erspan layers.ERSPANII
	udp    layers.UDP
	vxlan  layers.VXLAN
	icmp4  layers.ICMPv4
	icmp6  layers.ICMPv6

	defrag *ip4defrag.IPv4Defragmenter

	// The headers of the last frame decoded (Frame.Headers); datagram is
	// the payload of an IPv4 datagram the frame completed, inDG set once
	// decoding moved into it.
	hdrs     [MaxHeaders]Header
	nh       int
	hdrsCut  bool
	datagram []byte
	inDG     bool
}

func (d *decoder) init() { d.defrag = ip4defrag.NewIPv4Defragmenter() }

// SetTruncated implements gopacket.DecodeFeedback. The layers call it when
// a length field claims more than the bytes hold; decode goes by the
// frame's capture and wire lengths instead.
func (d *decoder) SetTruncated() {}

// cursor is where decoding stands in a frame: data are the captured bytes from
// the current header on, wire how many bytes the frame had from there on the
// wire, within the innermost length field met so far. wire exceeds len(data)
// only when the snap length cut the frame.
//
// Lengths follow Wireshark: a length field (IPv4 total length, IPv6 payload
// length, UDP length, 802.3 length, ...) can only shorten what follows, so
// link-layer padding and trailers are never payload, and a length claiming
// more than the frame holds is not believed beyond the frame's end.
type cursor struct {
	data []byte
	wire int
	off  int // where data starts in the frame (or in the reassembled datagram)
}

// advance moves past a header of n bytes.
func (c *cursor) advance(n int) { c.data, c.wire, c.off = c.data[n:], c.wire-n, c.off+n }

// limit ends the current datagram n bytes from here, if that is sooner.
func (c *cursor) limit(n int) {
	if n < c.wire {
		c.wire = n
	}
	if len(c.data) > c.wire {
		c.data = c.data[:c.wire]
	}
}

// to moves to payload, which a gopacket layer returned as a suffix of data.
func (c *cursor) to(payload []byte) { c.advance(len(c.data) - len(payload)) }

// decode fills seg from data. missing is how many bytes of the frame the snap
// length cut off (wire length minus captured length). It returns ok, or the
// reason the frame yields no segment. A returned segment can still be one that
// is not analyzed: seg.Quoted (reason ICMPQuoted) or seg.BadHeader (reason
// Malformed).
func (d *decoder) decode(data []byte, link layers.LinkType, missing int, seg *Segment) (Reason, bool) {
	p := linkProto(link, data)
	if p == pUnsupported {
		return UnsupportedLink, false
	}
	seg.Fragmented, seg.Quoted, seg.BadHeader = false, false, false
	d.nh, d.hdrsCut, d.datagram, d.inDG = 0, false, nil, false
	c := cursor{data: data, wire: len(data) + max(missing, 0)}
	var (
		sawIP    bool // an IP header was decoded: "not TCP" rather than "not IP"
		guessed  bool // inside a UDP payload decoded by its port: a failure means it was no tunnel
		src, dst netip.Addr
		hdr4     []byte // the IPv4 header the TCP segment is in (nil under IPv6), for its checksum
	)
	for {
		var err error
		var n int
		next := pOther
		d.push(p, &c)
		switch p {
		case pOther:
			if sawIP {
				return NotTCP, false
			}
			return NotIP, false
		case pUnsupported:
			return UnsupportedLink, false
		case pEncrypted:
			return Encrypted, false
		case pLinkFrag:
			return Fragment, false
		case pRawIP:
			next = mplsPayload(c.data) // the same first-nibble rule
			if next != pIPv4 && next != pIPv6 {
				return Malformed, false
			}
		case pEthernet:
			if err = d.eth.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			if d.eth.Length != 0 { // an 802.3 length: padding may follow the frame
				c.limit(14 + int(d.eth.Length))
			}
			c.advance(14)
			next = etherProto(d.eth.EthernetType)
		case pDot1Q:
			if err = d.dot1q.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			if d.dot1q.Type < 0x0600 {
				c.limit(4 + int(d.dot1q.Type))
			}
			c.advance(4)
			next = etherProto(d.dot1q.Type)
		case pLLC:
			if err = d.llc.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.to(d.llc.Payload)
			next = llcProto(&d.llc)
		case pSNAP:
			if err = d.snap.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.advance(5)
			next = snapProto(&d.snap)
		case pLoop:
			if err = d.loop.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.advance(4)
			next = loopProto(&d.loop)
		case pNFLog:
			var size int
			if n, size, next, err = parseNFLog(c.data); err == nil {
				c.limit(n + size)
			}
		case pDot11, pDot11FCS, pDot11Pad, pDot11FPad:
			if p == pDot11FCS || p == pDot11FPad {
				if c.wire < 4 {
					err = errShort
					break
				}
				c.limit(c.wire - 4)
			}
			n, next, err = dot11Body(c.data, p == pDot11Pad || p == pDot11FPad)
		case pPPPoE:
			var size int
			if n, size, next, err = parsePPPoE(c.data); err == nil && next == pPPP {
				c.limit(n + size)
			}
		case pMPLSPayload:
			next = mplsPayload(c.data)
		case pIPv4:
			if err = d.ip4.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			sawIP = true
			hdr4 = d.ip4.Contents
			src, dst = netip.AddrFrom4([4]byte(d.ip4.SrcIP)), netip.AddrFrom4([4]byte(d.ip4.DstIP))
			if final, ok := sourceRouteDst(d.ip4.Contents[20:]); ok {
				dst = final
			}
			// A total length of 0 is left to the NIC by TCP segmentation
			// offload: the frame's length decides (Wireshark: "reported as 0,
			// presumed to be because of TCP segmentation offload"). gopacket
			// clamps d.ip4.Length to 16 bits then, so read the field itself.
			if total := int(be16(d.ip4.Contents[2:])); total != 0 {
				c.limit(total)
			}
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				if total := int(be16(d.ip4.Contents[2:])); total > len(c.data) {
					// A fragment the frame does not hold whole (cut by the
					// snap length, or shorter than its IP length) cannot
					// be reassembled. As Wireshark does, a first fragment
					// is decoded for what it holds, a later one is counted.
					if d.ip4.FragOffset != 0 {
						return Fragment, false
					}
					c.advance(int(d.ip4.IHL) * 4)
					next = ipProto(d.ip4.Protocol)
					break
				}
				whole, ok := d.reassemble4()
				if !ok {
					return Fragment, false
				}
				seg.Fragmented = true
				d.setLen(int(d.ip4.IHL) * 4)
				d.datagram, d.inDG = whole.Payload, true
				c = cursor{data: whole.Payload, wire: len(whole.Payload)}
				next = ipProto(whole.Protocol)
				break
			}
			c.advance(int(d.ip4.IHL) * 4)
			next = ipProto(d.ip4.Protocol)
		case pIPv6:
			var plen int
			if plen, next, err = parseIPv6(c.data); err != nil {
				break
			}
			sawIP = true
			hdr4 = nil
			src, dst = netip.AddrFrom16([16]byte(c.data[8:24])), netip.AddrFrom16([16]byte(c.data[24:40]))
			c.limit(40 + plen)
			n = 40
		case pIPv6Ext:
			if err = d.ext.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.to(d.ext.Payload)
			next = ipProto(d.ext.NextHeader)
		case pIPv6Frag:
			if err = d.frag6.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			if d.frag6.FragmentOffset != 0 || d.frag6.MoreFragments {
				// IPv6 fragments other than atomic ones are rare for TCP;
				// they are counted, not reassembled.
				return Fragment, false
			}
			c.advance(8)
			next = ipProto(d.frag6.NextHeader)
		case pUDP:
			if err = d.udp.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			if l := int(d.udp.Length); l >= 8 {
				c.limit(l)
			}
			d.setLen(8)
			c.advance(8)
			if next = udpTunnel(uint16(d.udp.SrcPort), uint16(d.udp.DstPort)); next == pOther {
				return NotTCP, false
			}
			guessed = true
		case pGRE:
			if err = d.gre.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.to(d.gre.Payload)
			next = greProto(d.gre.Protocol, d.gre.SeqPresent)
		case pERSPAN:
			if len(c.data) > 0 && c.data[0]>>4 == 2 {
				n, next, err = parseERSPAN3(c.data)
				break
			}
			if err = d.erspan.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.to(d.erspan.Payload)
			next = pEthernet
		case pVXLAN:
			if err = d.vxlan.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			c.to(d.vxlan.Payload)
			next = pEthernet
		case pGTPU:
			var total int
			if n, total, next, err = parseGTPU(c.data); err == nil {
				c.limit(total)
			}
		case pICMPv4:
			if err = d.icmp4.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			if quotesTCP4(d.icmp4.TypeCode.Type(), d.icmp4.Payload) {
				p := d.icmp4.Payload
				ihl := int(p[0]&0xf) * 4
				if ihl < 20 || len(p) < ihl+8 {
					return ICMPQuoted, false
				}
				quoted(seg, netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20])), p[ihl:])
				seg.ICMPType, seg.ICMPCode, seg.ICMPv6 = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code(), false
				if seg.ICMPType == layers.ICMPv4TypeRedirect {
					// Wireshark reads only the 8 bytes RFC 792 promises after
					// a redirect's quoted IP header, whatever follows.
					seg.QuotedFull = false
				}
				return ICMPQuoted, true
			}
			return NotTCP, false
		case pICMPv6:
			if err = d.icmp6.DecodeFromBytes(c.data, d); err != nil {
				break
			}
			if quotesTCP6(d.icmp6.TypeCode.Type(), d.icmp6.Payload) {
				p := d.icmp6.Payload[4:]
				quoted(seg, netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40])), p[40:])
				seg.ICMPType, seg.ICMPCode, seg.ICMPv6 = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code(), true
				return ICMPQuoted, true
			}
			return NotTCP, false
		default:
			// A header read by hand from its bytes alone (headerParsers).
			n, next, err = headerParsers[p](c.data)
		case pTCP:
			return d.decodeTCP(&c, missing > 0, hdr4, src, dst, seg)
		}
		if err == nil && n > len(c.data) {
			// A length field ended the datagram inside this header (a GTP-U
			// length shorter than its own extension headers): found by
			// FuzzDecode, where advancing past it panicked.
			err = errMalformed
		}
		if err != nil {
			switch {
			case missing > 0:
				// The snap length cut the frame: most likely inside this
				// header (gopacket's layers do not all say so).
				return TruncatedHeader, false
			case guessed:
				// A UDP datagram on a tunnel's port whose payload is not that
				// tunnel's: Wireshark shows it as malformed tunnel traffic;
				// to tcpflow it is just UDP.
				return NotTCP, false
			}
			return Malformed, false
		}
		if n > 0 {
			c.advance(n)
		}
		p = next
	}
}

// push records the header of kind p at c as the frame's next header, and
// so the length of the one before it, when both lie in the same bytes.
func (d *decoder) push(p proto, c *cursor) {
	if d.nh > 0 {
		prev := &d.hdrs[d.nh-1]
		if prev.Len == 0 && prev.InDatagram == d.inDG {
			prev.Len = c.off - prev.Off
		}
	}
	if d.nh == MaxHeaders {
		d.hdrsCut = true
		return
	}
	d.hdrs[d.nh] = Header{Kind: HeaderKind(p), InDatagram: d.inDG, Off: c.off, Wire: c.wire}
	d.nh++
}

// setLen sets the length of the last header recorded.
func (d *decoder) setLen(n int) {
	if d.nh > 0 && !d.hdrsCut {
		d.hdrs[d.nh-1].Len = n
	}
}

// sourceRouteDst finds, in IPv4 options, a loose or strict source route
// (RFC 791: types 131 and 137) whose route is not yet exhausted, and returns
// its last address: the packet's final destination, which Wireshark takes as
// the destination of the packet (and of its conversation) rather than the
// header's, the next hop.
func sourceRouteDst(opts []byte) (netip.Addr, bool) {
	for len(opts) > 0 {
		switch opts[0] {
		case 0: // end of options
			return netip.Addr{}, false
		case 1: // no-operation
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			return netip.Addr{}, false
		}
		n := int(opts[1])
		if opts[0] == 131 || opts[0] == 137 {
			if n < 3 || opts[2] < 4 || opts[2]&3 != 0 || int(opts[2]) > n {
				return netip.Addr{}, false // the pointer is past the route: the header has the destination
			}
			return netip.AddrFrom4([4]byte(opts[n-4 : n])), true
		}
		opts = opts[n:]
	}
	return netip.Addr{}, false
}

// parseIPv6 reads the fixed IPv6 header (RFC 8200 section 3) and returns
// the length of what follows it: the payload length, or for a jumbogram
// (payload length 0, RFC 2675) the jumbo payload option of the hop-by-hop
// header. A payload length of 0 without that option is malformed, as in
// Wireshark. By hand because layers.IPv6 allocates a struct for every
// hop-by-hop option; the extension headers are then skipped by
// layers.IPv6ExtensionSkipper, which does not.
func parseIPv6(b []byte) (int, proto, error) {
	if len(b) < 40 {
		return 0, 0, errShort
	}
	if b[0]>>4 != 6 {
		return 0, 0, errMalformed
	}
	next := layers.IPProtocol(b[6])
	if plen := int(be16(b[4:])); plen != 0 {
		return plen, ipProto(next), nil
	}
	if next != layers.IPProtocolIPv6HopByHop || len(b) < 42 {
		return 0, 0, errMalformed
	}
	hbh := b[40:min(len(b), 40+(int(b[41])+1)*8)]
	for o := hbh[2:]; len(o) > 0; {
		if o[0] == 0 { // Pad1
			o = o[1:]
			continue
		}
		if len(o) < 2 || len(o) < 2+int(o[1]) {
			break
		}
		if o[0] == uint8(layers.IPv6HopByHopOptionJumbogram) && o[1] == 4 {
			return int(be32(o[2:])), ipProto(next), nil
		}
		o = o[2+int(o[1]):]
	}
	return 0, 0, errMalformed
}

// decodeTCP fills seg from the TCP header at c. Like Wireshark, it numbers a
// frame in a connection once the first 16 bytes of its TCP header (ports,
// numbers, flags, window) were captured; a header whose length field is below
// 20 or beyond the end of the IP payload yields a BadHeader segment, numbered
// but not analyzed. A header the snap length cut inside its options is still
// a segment: its length comes from the IP header and its options are read as
// far as they were captured.
func (d *decoder) decodeTCP(c *cursor, cut bool, hdr4 []byte, src, dst netip.Addr, seg *Segment) (Reason, bool) {
	b := c.data
	if len(b) < 16 {
		if cut {
			return TruncatedHeader, false
		}
		return Malformed, false
	}
	hdr := int(b[12]>>4) * 4
	if hdr >= 20 {
		d.setLen(hdr)
	}
	if hdr < 20 || c.wire < hdr {
		badHeader(seg, src, dst, b)
		return Malformed, true
	}
	seg.Src = netip.AddrPortFrom(src, be16(b))
	seg.Dst = netip.AddrPortFrom(dst, be16(b[2:]))
	seg.Seq, seg.Ack = be32(b[4:]), be32(b[8:])
	seg.Flags = Flags(b[13]) | Flags(b[12]&1)<<8
	seg.Window = be16(b[14:])
	seg.HdrLen = uint8(hdr)
	seg.PayloadLen = c.wire - hdr
	seg.IPChecksum, seg.TCPChecksum = segmentChecksums(hdr4, src, dst, b, c.wire)
	if hdr4 != nil {
		seg.IPID = be16(hdr4[4:])
	}
	if len(b) >= 18 {
		seg.TCPSum = be16(b[16:])
	}
	if len(b) < hdr { // cut by the snap length within the header
		seg.Urgent = 0
		if len(b) >= 20 {
			seg.Urgent = be16(b[18:])
		}
		seg.Payload = nil
		seg.Truncated = seg.PayloadLen > 0
		seg.OptionsCut = true
		parseOptions(b[min(len(b), 20):], false, &seg.Opts)
		return 0, true
	}
	seg.OptionsCut = false
	seg.Urgent = be16(b[18:])
	seg.Payload = b[hdr:]
	seg.Truncated = len(seg.Payload) < seg.PayloadLen
	parseOptions(b[20:hdr], true, &seg.Opts)
	return 0, true
}

var (
	errShort     = errors.New("header cut short")
	errMalformed = errors.New("malformed header")
)

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// reassemble4 hands a copy of the current IPv4 fragment to gopacket's
// defragmenter (which keeps what it is given) and returns the whole datagram once
// the last piece is in.
func (d *decoder) reassemble4() (*layers.IPv4, bool) {
	frag := d.ip4
	frag.Contents = append([]byte(nil), d.ip4.Contents...)
	frag.Payload = append([]byte(nil), d.ip4.Payload...)
	frag.Options = nil
	whole, err := d.defrag.DefragIPv4(&frag)
	if err != nil || whole == nil {
		return nil, false
	}
	return whole, true
}

// quoted fills seg from the first bytes of a TCP header quoted in an ICMP error
// (RFC 792 guarantees 8: ports and sequence number).
func quoted(seg *Segment, src, dst netip.Addr, tcp []byte) {
	*seg = Segment{Frame: seg.Frame, File: seg.File, FileFrame: seg.FileFrame, Time: seg.Time, Quoted: true,
		Src: netip.AddrPortFrom(src, be16(tcp)), Dst: netip.AddrPortFrom(dst, be16(tcp[2:])),
		Seq: be32(tcp[4:]), Opts: Options{MSS: -1, WScale: -1}, QuotedFull: len(tcp) >= 20}
	if len(tcp) >= 14 {
		seg.Ack, seg.Flags = be32(tcp[8:]), Flags(tcp[13])
	}
}

// badHeader fills seg from the first 16 bytes of a TCP header whose length
// field is bogus or runs past the IP payload.
func badHeader(seg *Segment, src, dst netip.Addr, tcp []byte) {
	*seg = Segment{Frame: seg.Frame, File: seg.File, FileFrame: seg.FileFrame, Time: seg.Time, BadHeader: true,
		Src: netip.AddrPortFrom(src, be16(tcp)), Dst: netip.AddrPortFrom(dst, be16(tcp[2:])),
		Seq: be32(tcp[4:]), Ack: be32(tcp[8:]), Flags: Flags(tcp[13]) | Flags(tcp[12]&1)<<8,
		Window: be16(tcp[14:]), HdrLen: tcp[12] >> 4 * 4, Opts: Options{MSS: -1, WScale: -1}}
}

// quotesTCP4 reports whether an ICMPv4 error quotes a TCP header (RFC 792: the
// destination unreachable, source quench, redirect, time exceeded and parameter
// problem messages carry the offending IP header and 8 bytes after it).
func quotesTCP4(typ uint8, payload []byte) bool {
	switch typ {
	case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench, layers.ICMPv4TypeRedirect,
		layers.ICMPv4TypeTimeExceeded, layers.ICMPv4TypeParameterProblem:
		return len(payload) >= 20 && payload[0]>>4 == 4 && payload[9] == uint8(layers.IPProtocolTCP)
	}
	return false
}

// quotesTCP6 is quotesTCP4 for ICMPv6 errors (types below 128, RFC 4443).
func quotesTCP6(typ uint8, payload []byte) bool {
	// gopacket keeps the 4 bytes after the ICMPv6 header (unused/MTU/pointer) in the payload.
	return typ < 128 && len(payload) >= 52 && payload[4]>>4 == 6 && payload[10] == uint8(layers.IPProtocolTCP)
}
