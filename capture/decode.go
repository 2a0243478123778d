package capture

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// decoder turns one frame into a Segment. It holds one preallocated instance of
// every layer it can meet and reuses them for every frame, so decoding a frame
// allocates nothing (gopacket's DecodingLayer contract).
type decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	ext   layers.IPv6ExtensionSkipper
	frag6 layers.IPv6Fragment
	gre   layers.GRE
	udp   layers.UDP
	vxlan layers.VXLAN
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	tcp   layers.TCP

	defrag    *ip4defrag.IPv4Defragmenter
	truncated bool // set through gopacket.DecodeFeedback by the layers
}

func (d *decoder) init() { d.defrag = ip4defrag.NewIPv4Defragmenter() }

// SetTruncated implements gopacket.DecodeFeedback.
func (d *decoder) SetTruncated() { d.truncated = true }

// firstLayer maps a pcap link type to the layer its frames start with. Raw IP
// link types answer LayerTypeZero: the version nibble decides per frame.
func firstLayer(link layers.LinkType) gopacket.LayerType {
	switch link {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case layers.LinkTypeRaw, 12, 14: // 12 and 14 are RAW on OpenBSD and some pcapng writers
		return gopacket.LayerTypeZero
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypePayload
}

// decode fills seg from data. cut says the capture length was below the wire
// length. It returns ok, or the reason the frame yields no segment.
func (d *decoder) decode(data []byte, link layers.LinkType, cut bool, seg *Segment) (Reason, bool) {
	d.truncated = cut
	typ := firstLayer(link)
	if typ == gopacket.LayerTypeZero {
		if len(data) == 0 {
			return Malformed, false
		}
		switch data[0] >> 4 {
		case 4:
			typ = layers.LayerTypeIPv4
		case 6:
			typ = layers.LayerTypeIPv6
		default:
			return Malformed, false
		}
	} else if typ == gopacket.LayerTypePayload {
		return UnsupportedLink, false
	}
	seg.Fragmented, seg.Quoted = false, false
	sawIP := false
	l4len := -1 // bytes of the IP payload per the innermost IP header; -1 until one is seen
	var src, dst netip.Addr
	for {
		var err error
		var next gopacket.LayerType
		switch typ {
		case layers.LayerTypeEthernet:
			err = d.eth.DecodeFromBytes(data, d)
			next, data = d.eth.NextLayerType(), d.eth.Payload
		case layers.LayerTypeDot1Q:
			err = d.dot1q.DecodeFromBytes(data, d)
			next, data = d.dot1q.NextLayerType(), d.dot1q.Payload
		case layers.LayerTypeLinuxSLL:
			err = d.sll.DecodeFromBytes(data, d)
			next, data = d.sll.NextLayerType(), d.sll.Payload
		case layers.LayerTypeLinuxSLL2:
			err = d.sll2.DecodeFromBytes(data, d)
			next, data = d.sll2.NextLayerType(), d.sll2.Payload
		case layers.LayerTypeLoopback:
			err = d.loop.DecodeFromBytes(data, d)
			next, data = d.loop.NextLayerType(), d.loop.Payload
		case layers.LayerTypeIPv4:
			if err = d.ip4.DecodeFromBytes(data, d); err != nil {
				break
			}
			sawIP = true
			src, dst = netip.AddrFrom4([4]byte(d.ip4.SrcIP)), netip.AddrFrom4([4]byte(d.ip4.DstIP))
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				whole, ok := d.reassemble4()
				if !ok {
					return Fragment, false
				}
				seg.Fragmented = true
				l4len = len(whole.Payload)
				next, data = whole.NextLayerType(), whole.Payload
				break
			}
			l4len = int(d.ip4.Length) - int(d.ip4.IHL)*4
			if d.ip4.Length == 0 { // TCP segmentation offload: length left to the NIC
				l4len = len(d.ip4.Payload)
			}
			next, data = d.ip4.NextLayerType(), d.ip4.Payload
		case layers.LayerTypeIPv6:
			if err = d.ip6.DecodeFromBytes(data, d); err != nil {
				break
			}
			sawIP = true
			src, dst = netip.AddrFrom16([16]byte(d.ip6.SrcIP)), netip.AddrFrom16([16]byte(d.ip6.DstIP))
			l4len = int(d.ip6.Length)
			if d.ip6.HopByHop != nil {
				l4len -= d.ip6.HopByHop.ActualLength
			}
			next, data = d.ip6.NextLayerType(), d.ip6.Payload
		case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Destination, layers.LayerTypeIPv6Routing:
			if err = d.ext.DecodeFromBytes(data, d); err != nil {
				break
			}
			l4len -= len(d.ext.Contents)
			next, data = d.ext.NextLayerType(), d.ext.Payload
		case layers.LayerTypeIPv6Fragment:
			if err = d.frag6.DecodeFromBytes(data, d); err != nil {
				break
			}
			l4len -= len(d.frag6.Contents)
			next, data = d.frag6.NextLayerType(), d.frag6.Payload
			if next == gopacket.LayerTypeFragment {
				// IPv6 fragments other than atomic ones are rare for TCP;
				// they are counted, not reassembled.
				return Fragment, false
			}
		case layers.LayerTypePPPoE:
			// gopacket's PPPoE and PPP layers are not DecodingLayers, so the
			// 6-byte PPPoE session header and 2-byte PPP protocol are read here.
			if len(data) < 8 {
				err = errShort
				break
			}
			switch uint16(data[6])<<8 | uint16(data[7]) {
			case 0x0021:
				next = layers.LayerTypeIPv4
			case 0x0057:
				next = layers.LayerTypeIPv6
			default:
				return NotIP, false
			}
			data = data[8:]
		case layers.LayerTypeGRE:
			err = d.gre.DecodeFromBytes(data, d)
			next, data = d.gre.NextLayerType(), d.gre.Payload
		case layers.LayerTypeUDP:
			if err = d.udp.DecodeFromBytes(data, d); err != nil {
				break
			}
			if next = d.udp.NextLayerType(); next != layers.LayerTypeVXLAN {
				return NotTCP, false
			}
			data = d.udp.Payload
		case layers.LayerTypeVXLAN:
			err = d.vxlan.DecodeFromBytes(data, d)
			next, data = d.vxlan.NextLayerType(), d.vxlan.Payload
		case layers.LayerTypeICMPv4:
			if err = d.icmp4.DecodeFromBytes(data, d); err != nil {
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
		case layers.LayerTypeICMPv6:
			if err = d.icmp6.DecodeFromBytes(data, d); err != nil {
				break
			}
			if quotesTCP6(d.icmp6.TypeCode.Type(), d.icmp6.Payload) {
				p := d.icmp6.Payload[4:]
				quoted(seg, netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40])), p[40:])
				seg.ICMPType, seg.ICMPCode, seg.ICMPv6 = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code(), true
				return ICMPQuoted, true
			}
			return NotTCP, false
		case layers.LayerTypeTCP:
			return d.decodeTCP(data, l4len, src, dst, seg)
		default:
			if sawIP {
				return NotTCP, false
			}
			return NotIP, false
		}
		if err != nil {
			if d.truncated {
				return TruncatedHeader, false
			}
			return Malformed, false
		}
		typ = next
	}
}

func (d *decoder) decodeTCP(data []byte, l4len int, src, dst netip.Addr, seg *Segment) (Reason, bool) {
	t := &d.tcp
	if err := t.DecodeFromBytes(data, d); err != nil {
		if d.truncated {
			return TruncatedHeader, false
		}
		return Malformed, false
	}
	hdr := int(t.DataOffset) * 4
	if l4len < 0 {
		l4len = len(data)
	}
	if l4len < hdr {
		return Malformed, false
	}
	seg.Src = netip.AddrPortFrom(src, uint16(t.SrcPort))
	seg.Dst = netip.AddrPortFrom(dst, uint16(t.DstPort))
	seg.Seq, seg.Ack = t.Seq, t.Ack
	seg.Flags = Flags(t.Contents[13]) | Flags(t.Contents[12]&1)<<8
	seg.Window, seg.Urgent = t.Window, t.Urgent
	seg.HdrLen = uint8(hdr)
	seg.PayloadLen = l4len - hdr
	seg.Payload = t.Payload
	if len(seg.Payload) > seg.PayloadLen { // link-layer padding was not trimmed by IP
		seg.Payload = seg.Payload[:seg.PayloadLen]
	}
	seg.Truncated = len(seg.Payload) < seg.PayloadLen
	parseOptions(t.Options, &seg.Opts)
	return 0, true
}

// parseOptions converts gopacket's option list to Options.
func parseOptions(opts []layers.TCPOption, o *Options) {
	*o = Options{MSS: -1, WScale: -1}
	for i := range opts {
		opt := &opts[i]
		v := opt.OptionData
		switch opt.OptionType {
		case layers.TCPOptionKindEndList, layers.TCPOptionKindNop:
		case layers.TCPOptionKindMSS:
			if len(v) == 2 {
				o.MSS = int32(v[0])<<8 | int32(v[1])
			}
		case layers.TCPOptionKindWindowScale:
			if len(v) == 1 {
				o.WScale = int8(min(v[0], 127))
			}
		case layers.TCPOptionKindSACKPermitted:
			o.SACKPermitted = true
		case layers.TCPOptionKindSACK:
			for len(v) >= 8 && o.NSACK < MaxSACKBlocks {
				o.SACK[o.NSACK] = SACKBlock{be32(v), be32(v[4:])}
				o.NSACK++
				v = v[8:]
			}
		case layers.TCPOptionKindTimestamps:
			if len(v) == 8 {
				o.HasTS, o.TSVal, o.TSEcr = true, be32(v), be32(v[4:])
			}
		default:
			if o.NUnknown < MaxUnknownOptions {
				o.Unknown[o.NUnknown] = uint8(opt.OptionType)
				o.NUnknown++
			}
		}
	}
}

var errShort = errors.New("header cut short")

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
	*seg = Segment{Frame: seg.Frame, File: seg.File, Time: seg.Time, Quoted: true,
		Src: netip.AddrPortFrom(src, uint16(tcp[0])<<8|uint16(tcp[1])),
		Dst: netip.AddrPortFrom(dst, uint16(tcp[2])<<8|uint16(tcp[3])),
		Seq: be32(tcp[4:]), Opts: Options{MSS: -1, WScale: -1}, QuotedFull: len(tcp) >= 20}
	if len(tcp) >= 14 {
		seg.Ack, seg.Flags = be32(tcp[8:]), Flags(tcp[13])
	}
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
