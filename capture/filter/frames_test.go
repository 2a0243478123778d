package filter

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// catalogue builds the named frames the unit tests match expressions
// against, one of each kind a filter tells apart. gopacket pads Ethernet
// frames to 60 bytes, so the short ones (arp, dns, ...) carry padding.
//
//	syn, synack, get, rst   TCP over IPv4 on Ethernet, 192.0.2.10:51234 <-> 198.51.100.20:80
//	opts                    the same SYN with an IPv4 option (transport header at 24)
//	cut                     get cut after 36 of its bytes (source port only)
//	tls6, tls6ext           TCP SYN over IPv6, [2001:db8::10]:40000 -> [2001:db8:1::20]:443, without and with extension headers
//	dns, mdns6              UDP 53211 -> 53 over IPv4, 5353 -> 5353 over IPv6
//	ping, pong, ping6, ns6  ICMP echo and reply, ICMPv6 echo and neighbor solicitation
//	frag1, frag2            the first and a later fragment of a UDP datagram 1025 -> 80 (the later one carries 00 50 00 50)
//	frag6                   IPv6 with a fragment header before UDP 1025 -> 80
//	arp                     ARP request, broadcast, 192.0.2.10 asking for 192.0.2.1
//	vlan, qinq              the SYN tagged VLAN 100, and tagged 200 (802.1ad) outside 300
//	sll, sll2v6             the SYN on Linux SLL; tls6 on SLL2
//	raw, raw6               the SYN and tls6 as raw IP
//	null, null6, null6be    the SYN and tls6 on BSD NULL (family in little-endian), and tls6 with the family big-endian
//	loop                    the SYN on OpenBSD LOOP
//	ip4link, ip6link        the SYN as LINKTYPE_IPV4, tls6 as LINKTYPE_IPV6
func catalogue(t testing.TB) map[string]frame {
	t.Helper()
	out := map[string]frame{}
	var (
		c4, s4 = netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.20")
		c6, s6 = netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("2001:db8:1::20")
	)
	// one runs send on a fresh wire and returns the frames it wrote.
	one := func(framing craft.Framing, send func(w *craft.Wire, l craft.Link)) []frame {
		c := &collector{link: framing.LinkType()}
		w := craft.NewWire(c, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
		send(w, craft.Link{Framing: framing, VLAN: 100, OuterVLAN: 200})
		if err := w.Err(); err != nil {
			t.Fatal(err)
		}
		return c.frames
	}
	conn4 := func(fr craft.Framing, vlan uint16) []frame {
		return one(fr, func(w *craft.Wire, l craft.Link) {
			if vlan != 0 {
				l.VLAN = vlan
			}
			c := w.Conn(netip.AddrPortFrom(c4, 51234), netip.AddrPortFrom(s4, 80), 1000, 5000)
			c.Link = l
			c.Client(craft.SYN, craft.LinuxSYN(1460, 7))
			c.Server(craft.SYN|craft.ACK, craft.LinuxSYN(1460, 7))
			c.Client(craft.ACK)
			c.Client(craft.PSH|craft.ACK, craft.Payload([]byte("GET / HTTP/1.1\r\n\r\n")))
			c.Server(craft.RST | craft.ACK)
		})
	}
	conn6 := func(fr craft.Framing, ext bool) frame {
		return one(fr, func(w *craft.Wire, l craft.Link) {
			c := w.Conn(netip.AddrPortFrom(c6, 40000), netip.AddrPortFrom(s6, 443), 7, 9)
			c.Link, c.IPv6Ext = l, ext
			c.Client(craft.SYN, craft.LinuxSYN(1440, 7))
		})[0]
	}
	eth := conn4(craft.Ethernet, 0)
	out["syn"], out["synack"], out["get"], out["rst"] = eth[0], eth[1], eth[3], eth[4]
	out["cut"] = frame{eth[3].link, eth[3].data[:36], eth[3].wirelen}
	out["vlan"] = conn4(craft.Dot1Q, 100)[0]
	out["qinq"] = conn4(craft.QinQ, 300)[0]
	out["sll"] = conn4(craft.SLL, 0)[0]
	out["raw"] = conn4(craft.RawIP, 0)[0]
	out["null"] = conn4(craft.Null, 0)[0]
	out["tls6"] = conn6(craft.Ethernet, false)
	out["tls6ext"] = conn6(craft.Ethernet, true)
	out["sll2v6"] = conn6(craft.SLL2, false)
	out["raw6"] = conn6(craft.RawIP, false)
	out["null6"] = conn6(craft.Null, false)

	loop := append([]byte(nil), out["null"].data...)
	binary.BigEndian.PutUint32(loop, 2)
	out["loop"] = frame{layers.LinkTypeLoop, loop, len(loop)}
	be := append([]byte(nil), out["null6"].data...)
	binary.BigEndian.PutUint32(be, 24)
	out["null6be"] = frame{layers.LinkTypeNull, be, len(be)}
	out["ip4link"] = frame{layers.LinkTypeIPv4, out["raw"].data, out["raw"].wirelen}
	out["ip6link"] = frame{layers.LinkTypeIPv6, out["raw6"].data, out["raw6"].wirelen}

	ip4 := func(proto layers.IPProtocol, src, dst netip.Addr) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(), Id: 7}
	}
	ip6 := func(next layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: c6.AsSlice(), DstIP: s6.AsSlice()}
	}
	ports := gopacket.Payload{0x04, 0x01, 0x00, 0x50, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	others := one(craft.Ethernet, func(w *craft.Wire, l craft.Link) {
		l.Src, l.Dst = net.HardwareAddr{2, 0, 192, 0, 2, 10}, net.HardwareAddr{2, 0, 192, 0, 2, 1}
		opt := ip4(layers.IPProtocolTCP, c4, s4)
		opt.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
		w.Write(l, opt, append(gopacket.Payload{0xc8, 0x22, 0x00, 0x50}, make([]byte, 16)...))
		udp := &layers.UDP{SrcPort: 53211, DstPort: 53}
		ip := ip4(layers.IPProtocolUDP, c4, s4)
		_ = udp.SetNetworkLayerForChecksum(ip)
		w.Write(l, ip, udp, gopacket.Payload("query"))
		udp6 := &layers.UDP{SrcPort: 5353, DstPort: 5353}
		ip6u := ip6(layers.IPProtocolUDP)
		_ = udp6.SetNetworkLayerForChecksum(ip6u)
		w.Write(l, ip6u, udp6, gopacket.Payload("mdns"))
		w.Write(l, ip4(layers.IPProtocolICMPv4, c4, s4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0)})
		w.Write(l, ip4(layers.IPProtocolICMPv4, s4, c4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0)})
		for _, typ := range []uint8{layers.ICMPv6TypeEchoRequest, layers.ICMPv6TypeNeighborSolicitation} {
			icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
			ip := ip6(layers.IPProtocolICMPv6)
			_ = icmp.SetNetworkLayerForChecksum(ip)
			w.Write(l, ip, icmp, gopacket.Payload{0, 0, 0, 0})
		}
		first := ip4(layers.IPProtocolUDP, c4, s4)
		first.Flags = layers.IPv4MoreFragments
		w.Write(l, first, ports)
		later := ip4(layers.IPProtocolUDP, c4, s4)
		later.FragOffset = 2
		w.Write(l, later, gopacket.Payload{0, 0x50, 0, 0x50})
		w.Write(l, ip6(layers.IPProtocolIPv6Fragment), append(gopacket.Payload{17, 0, 0, 1, 0, 0, 0, 9}, ports...))
		l.Dst = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		w.Write(l, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
			SourceHwAddress: l.Src, SourceProtAddress: c4.AsSlice(),
			DstHwAddress: make(net.HardwareAddr, 6), DstProtAddress: []byte{192, 0, 2, 1}})
	})
	for i, name := range []string{"opts", "dns", "mdns6", "ping", "pong", "ping6", "ns6", "frag1", "frag2", "frag6", "arp"} {
		out[name] = others[i]
	}
	return out
}

// names returns the catalogue's frame names, sorted.
func names(c map[string]frame) []string {
	var n []string
	for k := range c {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
