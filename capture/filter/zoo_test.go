package filter

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// frame is one captured record.
type frame struct {
	link    layers.LinkType
	data    []byte
	wirelen int
}

// collector is a craft.PacketWriter that keeps the frames.
type collector struct {
	link   layers.LinkType
	frames []frame
}

func (c *collector) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	c.frames = append(c.frames, frame{c.link, append([]byte(nil), data...), ci.Length})
	return nil
}

// Addresses of the zoo, so that expressions can name them.
var (
	zooClient4 = netip.MustParseAddr("192.0.2.10")
	zooServer4 = netip.MustParseAddr("198.51.100.20")
	zooClient6 = netip.MustParseAddr("2001:db8::10")
	zooServer6 = netip.MustParseAddr("2001:db8:1::20")
	zooMAC     = net.HardwareAddr{0x02, 0x00, 192, 0, 2, 10}
	zooGW      = net.HardwareAddr{0x02, 0x00, 192, 0, 2, 1}
	zooBcast   = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// zoo crafts frames of every kind a filter tells apart (TCP over IPv4 and
// IPv6, with and without IPv6 extension headers, IPv4 options, UDP, ICMP,
// ICMPv6, ARP, IPv4 and IPv6 fragments, SCTP, IGMP, ESP, AH, PIM, VRRP,
// RARP, 802.3 LLC), under one framing, then the same frames cut at many
// lengths, so that loads past the captured bytes are exercised too.
func zoo(t testing.TB, framing craft.Framing) []frame {
	t.Helper()
	c := &collector{link: framing.LinkType()}
	w := craft.NewWire(c, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	link := craft.Link{Framing: framing, VLAN: 100, OuterVLAN: 200, Src: zooMAC, Dst: zooGW}
	if framing == craft.QinQ {
		link.VLAN = 300
	}
	ethernet := framing == craft.Ethernet || framing == craft.Dot1Q || framing == craft.QinQ
	hasARP := framing != craft.RawIP && framing != craft.Null

	// TCP over IPv4: handshake, a request, a reset.
	conn := w.Conn(netip.AddrPortFrom(zooClient4, 51234), netip.AddrPortFrom(zooServer4, 80), 1000, 5000)
	conn.Link = link
	conn.Handshake(10 * time.Millisecond)
	conn.Client(craft.PSH|craft.ACK, craft.Payload([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")))
	conn.Server(craft.RST | craft.ACK)
	// TCP over IPv6, once plain and once behind extension headers.
	for _, ext := range []bool{false, true} {
		c6 := w.Conn(netip.AddrPortFrom(zooClient6, 40000), netip.AddrPortFrom(zooServer6, 443), 7, 9)
		c6.Link, c6.IPv6Ext = link, ext
		c6.Client(craft.SYN, craft.LinuxSYN(1440, 7))
		c6.Server(craft.SYN|craft.ACK, craft.LinuxSYN(1440, 7))
		c6.Client(craft.FIN | craft.ACK)
	}

	c4, s4 := zooClient4.AsSlice(), zooServer4.AsSlice()
	c6, s6 := zooClient6.AsSlice(), zooServer6.AsSlice()
	ip4 := func(proto layers.IPProtocol, src, dst net.IP) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst, Id: 0x1234}
	}
	ip6 := func(next layers.IPProtocol, src, dst net.IP) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: src, DstIP: dst}
	}
	ports := func(src, dst uint16, rest ...byte) gopacket.Payload {
		b := binary.BigEndian.AppendUint16(nil, src)
		b = binary.BigEndian.AppendUint16(b, dst)
		return append(b, rest...)
	}

	// UDP over IPv4 and IPv6.
	udp := &layers.UDP{SrcPort: 53211, DstPort: 53}
	ip := ip4(layers.IPProtocolUDP, c4, s4)
	_ = udp.SetNetworkLayerForChecksum(ip)
	w.Write(link, ip, udp, gopacket.Payload("query"))
	udp6 := &layers.UDP{SrcPort: 5353, DstPort: 5353}
	ip6u := ip6(layers.IPProtocolUDP, c6, s6)
	_ = udp6.SetNetworkLayerForChecksum(ip6u)
	w.Write(link, ip6u, udp6, gopacket.Payload("mdns"))

	// ICMP echo and reply, ICMPv6 echo and neighbor solicitation.
	w.Write(link, ip4(layers.IPProtocolICMPv4, c4, s4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}, gopacket.Payload("ping"))
	w.Write(link, ip4(layers.IPProtocolICMPv4, s4, c4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: 1, Seq: 1}, gopacket.Payload("ping"))
	for _, typ := range []uint8{layers.ICMPv6TypeEchoRequest, layers.ICMPv6TypeNeighborSolicitation} {
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
		ip := ip6(layers.IPProtocolICMPv6, c6, s6)
		_ = icmp.SetNetworkLayerForChecksum(ip)
		w.Write(link, ip, icmp, gopacket.Payload{0, 0, 0, 0, 1, 2, 3, 4})
	}

	// IPv4 fragments of a UDP datagram and of a TCP segment: the first
	// carries the ports; the later ones carry bytes that look like port 80.
	for _, proto := range []layers.IPProtocol{layers.IPProtocolUDP, layers.IPProtocolTCP} {
		first := ip4(proto, c4, s4)
		first.Flags = layers.IPv4MoreFragments
		w.Write(link, first, ports(1025, 80, make([]byte, 20)...))
		later := ip4(proto, c4, s4)
		later.FragOffset = 3
		w.Write(link, later, ports(80, 80, 1, 2, 3, 4))
	}
	// IPv4 with options (router alert): the transport header is at 24.
	opt := ip4(layers.IPProtocolTCP, c4, s4)
	opt.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	w.Write(link, opt, ports(51234, 80, make([]byte, 16)...))
	// An IPv6 fragment header before UDP and TCP.
	for _, proto := range []byte{17, 6} {
		w.Write(link, ip6(layers.IPProtocolIPv6Fragment, c6, s6),
			gopacket.Payload(append([]byte{proto, 0, 0, 1, 0, 0, 0, 7}, ports(1025, 80, make([]byte, 16)...)...)))
	}
	// Other IP protocols.
	for _, proto := range []layers.IPProtocol{132, layers.IPProtocolIGMP, layers.IPProtocolESP,
		layers.IPProtocolAH, 103, 112, layers.IPProtocolGRE} {
		w.Write(link, ip4(proto, c4, s4), ports(5000, 80, make([]byte, 20)...))
	}
	w.Write(link, ip6(132, c6, s6), ports(5000, 443, make([]byte, 20)...))
	w.Write(link, ip6(layers.IPProtocolESP, c6, s6), ports(5000, 443, make([]byte, 20)...))

	if hasARP {
		arp := func(op uint16, srcMAC, dstMAC net.HardwareAddr, src, dst net.IP) *layers.ARP {
			return &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
				HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
				SourceHwAddress: srcMAC, SourceProtAddress: src, DstHwAddress: dstMAC, DstProtAddress: dst}
		}
		l := link
		l.Dst = zooBcast
		w.Write(l, arp(layers.ARPRequest, zooMAC, net.HardwareAddr{0, 0, 0, 0, 0, 0}, c4, net.IP{192, 0, 2, 1}))
		l.Src, l.Dst = zooGW, zooMAC
		w.Write(l, arp(layers.ARPReply, zooGW, zooMAC, net.IP{192, 0, 2, 1}, c4))
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	frames := c.frames
	if ethernet {
		// Raw Ethernet frames craft does not build: RARP, 802.3 with an LLC
		// header (DSAP 0x42, spanning tree), LLDP.
		hdr := func(typ uint16) []byte {
			b := append(append([]byte{}, zooBcast...), zooMAC...)
			return binary.BigEndian.AppendUint16(b, typ)
		}
		for _, b := range [][]byte{
			append(hdr(ethRARP), make([]byte, 28)...),
			append(hdr(38), append([]byte{0x42, 0x42, 0x03}, make([]byte, 35)...)...),
			append(hdr(0x88cc), make([]byte, 30)...),
		} {
			frames = append(frames, frame{layers.LinkTypeEthernet, b, len(b)})
		}
	}
	// The same frames cut short, keeping their wire length.
	whole := len(frames)
	for _, cut := range []int{10, 14, 18, 20, 24, 30, 34, 38, 42, 46, 54, 58, 62, 66, 74} {
		for _, f := range frames[:whole] {
			if cut < len(f.data) {
				frames = append(frames, frame{f.link, f.data[:cut], f.wirelen})
			}
		}
	}
	return frames
}

// zooSources are the zoo under every framing, and under the link types
// derived from them: LOOP (the NULL frames with the family in network
// order) and LINKTYPE_IPV4/IPV6 (the raw IP frames of each version).
func zooSources(t testing.TB) map[string][]frame {
	out := map[string][]frame{}
	for _, fr := range []craft.Framing{craft.Ethernet, craft.Dot1Q, craft.QinQ, craft.SLL, craft.SLL2, craft.RawIP, craft.Null} {
		out["zoo-"+fr.String()] = zoo(t, fr)
	}
	var loop, v4v6 []frame
	for _, f := range out["zoo-NULL"] {
		if len(f.data) >= 4 {
			d := append([]byte(nil), f.data...)
			binary.BigEndian.PutUint32(d, binary.LittleEndian.Uint32(d))
			loop = append(loop, frame{layers.LinkTypeLoop, d, f.wirelen})
		}
	}
	for _, f := range out["zoo-raw IP"] {
		switch {
		case len(f.data) > 0 && f.data[0]>>4 == 4:
			v4v6 = append(v4v6, frame{layers.LinkTypeIPv4, f.data, f.wirelen})
		case len(f.data) > 0 && f.data[0]>>4 == 6:
			v4v6 = append(v4v6, frame{layers.LinkTypeIPv6, f.data, f.wirelen})
		}
	}
	out["zoo-LOOP"], out["zoo-IPV4-IPV6"] = loop, v4v6
	return out
}
