package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// exchange is the short conversation every connection of tunnels.pcap,
// lengths.pcap and linktypes.pcapng holds: handshake, a request, a 1000-byte
// response and its ACK, and a close started by the client, 9 frames, all
// 1 ms apart.
func exchange(w *craft.Wire, c *craft.Conn) {
	c.Handshake(ms)
	w.Advance(ms)
	c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\nHost: tunnel.example\r\n\r\n")))
	w.Advance(ms)
	c.Server(psh|ack, craft.Data(1000))
	w.Advance(ms)
	c.Client(ack)
	w.Advance(ms)
	closeByClient(w, c, ms)
	w.Advance(10 * ms)
}

// outer builds the outer headers of the IP tunnels in tunnels.pcap: between
// 203.0.113.1 (on the client's side) and 203.0.113.2, IPv4 identifications
// counting up from 1.
type outer struct{ id uint16 }

var tunnelEnds = [2]net.IP{{203, 0, 113, 1}, {203, 0, 113, 2}}

// ip4 is the outer IPv4 header of a packet the client (out) or the server sent.
func (o *outer) ip4(out bool, proto layers.IPProtocol) *layers.IPv4 {
	src, dst := tunnelEnds[0], tunnelEnds[1]
	if !out {
		src, dst = dst, src
	}
	o.id++
	return &layers.IPv4{Version: 4, TTL: 64, Id: o.id, Protocol: proto, SrcIP: src, DstIP: dst}
}

// udp is an outer IPv4 and UDP header to port dport (or from it, for the
// server's packets when reply is set); sport is the other port.
func (o *outer) udp(out bool, sport, dport uint16, reply bool) []gopacket.SerializableLayer {
	ip := o.ip4(out, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if reply && !out {
		u.SrcPort, u.DstPort = u.DstPort, u.SrcPort
	}
	_ = u.SetNetworkLayerForChecksum(ip)
	return []gopacket.SerializableLayer{ip, u}
}

// innerEth is the Ethernet header of a packet inside an L2 tunnel.
func innerEth(out bool, proto layers.EthernetType) *layers.Ethernet {
	a, b := net.HardwareAddr{0x02, 0xaa, 0xf1, 0xf2, 0xf3, 1}, net.HardwareAddr{0x02, 0xaa, 0xf1, 0xf2, 0xf3, 2}
	if !out {
		a, b = b, a
	}
	return &layers.Ethernet{SrcMAC: a, DstMAC: b, EthernetType: proto}
}

func layerList(ls ...gopacket.SerializableLayer) []gopacket.SerializableLayer { return ls }

// ipProtoOf is the IP protocol number of a packet of EtherType t.
func ipProtoOf(t layers.EthernetType) uint8 {
	if t == layers.EthernetTypeIPv6 {
		return uint8(layers.IPProtocolIPv6)
	}
	return uint8(layers.IPProtocolIPv4)
}

// pppoe is a PPPoE session header (RFC 2516) whose length is fixed up, and
// the PPP protocol field for proto, compressed to one byte (RFC 1661
// section 6.5) when short is set.
func pppoe(proto layers.EthernetType, short bool) []gopacket.SerializableLayer {
	ppp := []byte{0x00, 0x21}
	if proto == layers.EthernetTypeIPv6 {
		ppp = []byte{0x00, 0x57}
	}
	if short {
		ppp = ppp[1:]
	}
	return layerList(
		&craft.Raw{Type: layers.LayerTypePPPoE, Bytes: []byte{0x11, 0, 0x12, 0x34, 0, 0}, Fix: func(h, p []byte) {
			binary.BigEndian.PutUint16(h[4:], uint16(len(p)))
		}},
		&craft.Raw{Type: layers.LayerTypePPP, Bytes: ppp})
}

// ayiya is an AYIYA header: a 16-byte identity (an IPv6 address, type
// integer), a 20-byte SHA-1 signature (zero here), shared-secret
// authentication, the opcode and the next header.
func ayiya(opcode, next byte) []byte {
	h := []byte{0x41, 0x52, 0x10 | opcode, next, 0x65, 0x94, 0x1b, 0xe5}
	h = append(h, netip.MustParseAddr("2001:db8:1::10").AsSlice()...)
	return append(h, make([]byte, 20)...)
}

// tunnelCase is one connection of tunnels.pcap: its framing and whether it
// is IPv6 inside.
type tunnelCase struct {
	name string // for README and test tables
	v6   bool
	link func(o *outer) craft.Link
}

// tunnelCases are the encapsulations of tunnels.pcap, one connection each,
// client ports 42000 up (IPv6: 2001:db8:1::10 to 2001:db8:2::20).
var tunnelCases = []tunnelCase{
	{"GRE", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolGRE), &layers.GRE{Protocol: in})
		}}
	}},
	{"GRE with key, Ethernet (transparent bridging)", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolGRE),
				&layers.GRE{KeyPresent: true, Key: 7, Protocol: layers.EthernetTypeTransparentEthernetBridging}, innerEth(out, in))
		}}
	}},
	{"ERSPAN type I", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeERSPAN}, innerEth(out, in))
		}}
	}},
	{"ERSPAN type II", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolGRE),
				&layers.GRE{SeqPresent: true, Seq: uint32(o.id), Protocol: layers.EthernetTypeERSPAN},
				&layers.ERSPANII{Version: layers.ERSPANIIVersion, SessionID: 5, Index: 9}, innerEth(out, in))
		}}
	}},
	{"ERSPAN type III with platform subheader", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			// Version 2, VLAN 0, session 5; timestamp; SGT 0, frame type 0
			// (Ethernet), hardware ID 1, the O flag: an 8-byte platform
			// specific subheader follows.
			e := []byte{0x20, 0x00, 0x00, 0x05, 0, 0, 0x12, 0x34, 0, 0, 0x00, 0x11, 0x18, 0, 0, 0, 0, 0, 0, 1}
			return layerList(o.ip4(out, layers.IPProtocolGRE),
				&layers.GRE{SeqPresent: true, Seq: uint32(o.id), Protocol: 0x22eb},
				&craft.Raw{Type: layers.LayerTypeERSPANII, Bytes: e}, innerEth(out, in))
		}}
	}},
	{"VXLAN", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return append(o.udp(out, 51000, 4789, false), &layers.VXLAN{ValidIDFlag: true, VNI: 42}, innerEth(out, in))
		}}
	}},
	{"VXLAN-GPE, IPv6 inside", true, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			// Flags I and P, next protocol 2 (IPv6), VNI 42.
			return append(o.udp(out, 51001, 4790, false), &craft.Raw{Type: layers.LayerTypeVXLAN, Bytes: []byte{0x0c, 0, 0, 2, 0, 0, 42, 0}})
		}}
	}},
	{"Geneve with an option", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			opt := &layers.GeneveOption{Class: 0x0102, Type: 0x80, Data: []byte{1, 2, 3, 4}}
			g := &layers.Geneve{Protocol: layers.EthernetTypeTransparentEthernetBridging, VNI: 42, Options: []*layers.GeneveOption{opt}}
			return append(o.udp(out, 51002, 6081, false), g, innerEth(out, in))
		}}
	}},
	{"GTP-U with an extension header", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			// A PDU session container (type 0x85) as 5G's N3 interface sends.
			g := &layers.GTPv1U{Version: 1, ProtocolType: 1, MessageType: 255, TEID: 0x1000 + uint32(o.id),
				GTPExtensionHeaders: []layers.GTPExtensionHeader{{Type: 0x85, Content: []byte{0x00, 0x09}}}}
			return append(o.udp(out, 2152, 2152, false), g)
		}}
	}},
	{"GTP-U in fragmented outer IPv4", false, func(o *outer) craft.Link {
		return craft.Link{MTU: 576, Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return append(o.udp(out, 2152, 2152, false), &layers.GTPv1U{Version: 1, ProtocolType: 1, MessageType: 255, TEID: 0x2000})
		}}
	}},
	{"AYIYA, IPv6 inside", true, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			// Identity 16 bytes (IPv6 address), SHA-1 signature 20 bytes,
			// shared-secret authentication, opcode forward, next header 41.
			return append(o.udp(out, 5072, 5072, false), &craft.Raw{Type: gopacket.LayerTypePayload, Bytes: ayiya(1, 41)})
		}}
	}},
	{"GRE in UDP", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return append(o.udp(out, 51003, 4754, false), &layers.GRE{Protocol: in})
		}}
	}},
	{"Teredo, IPv6 inside", true, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			l := o.udp(out, 40001, 3544, true)
			if out {
				return l
			}
			// The relay's packets carry an origin indication: type 0,
			// the obfuscated origin port (3544) and address (203.0.113.2).
			return append(l, &craft.Raw{Type: gopacket.LayerTypePayload, Bytes: []byte{0, 0, ^byte(0x0d), ^byte(0xd8), ^byte(203), ^byte(0), ^byte(113), ^byte(2)}})
		}}
	}},
	{"MPLS, two labels", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(&layers.MPLS{Label: 100, TTL: 64}, &layers.MPLS{Label: 200, StackBottom: true, TTL: 64})
		}}
	}},
	{"MPLS IPv6 explicit null", true, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(&layers.MPLS{Label: 2, StackBottom: true, TTL: 64})
		}}
	}},
	{"MPLS Ethernet pseudowire with control word", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			cw := []byte{0, 0, byte(o.id >> 8), byte(o.id)}
			o.id++
			return layerList(&layers.MPLS{Label: 300, StackBottom: true, TTL: 64},
				&craft.Raw{Type: gopacket.LayerTypePayload, Bytes: cw}, innerEth(out, in))
		}}
	}},
	{"MPLS in UDP", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return append(o.udp(out, 51004, 6635, false), &layers.MPLS{Label: 400, StackBottom: true, TTL: 64})
		}}
	}},
	{"MPLS in IP", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolMPLSInIP), &layers.MPLS{Label: 500, StackBottom: true, TTL: 64})
		}}
	}},
	{"MPLS in GRE", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeMPLSUnicast},
				&layers.MPLS{Label: 600, StackBottom: true, TTL: 64})
		}}
	}},
	{"PPPoE session, compressed PPP protocol", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return pppoe(in, true)
		}}
	}},
	{"PPPoE in QinQ, trailer after the packet", false, func(o *outer) craft.Link {
		return craft.Link{Framing: craft.QinQ, OuterVLAN: 10, VLAN: 20, Pad: 76,
			Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer { return pppoe(in, false) }}
	}},
	{"Aruba GRE, 802.11 inside, in 802.1Q", false, func(o *outer) craft.Link {
		return craft.Link{Framing: craft.Dot1Q, VLAN: 30, Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			sta, host := net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 1}, net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 2}
			bssid := net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 0xee}
			return layerList(o.ip4(out, layers.IPProtocolGRE), &layers.GRE{Protocol: 0x8200},
				craft.Dot11Data(out, true, sta, host, bssid, o.id, in))
		}}
	}},
	{"PPTP enhanced GRE, PPP inside", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			// Version 1, key (payload length, call ID) and sequence number
			// present; PPP with address and control bytes.
			seq := uint32(o.id)
			h := []byte{0x30, 0x01, 0x88, 0x0b, 0, 0, 0x40, 0x01, byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}
			return layerList(o.ip4(out, layers.IPProtocolGRE),
				&craft.Raw{Type: layers.LayerTypeGRE, Bytes: h, Fix: func(h, p []byte) { binary.BigEndian.PutUint16(h[4:], uint16(len(p))) }},
				&craft.Raw{Type: layers.LayerTypePPP, Bytes: []byte{0xff, 0x03, 0x00, 0x21}})
		}}
	}},
	{"IEEE 802.3 with LLC and SNAP", false, func(o *outer) craft.Link {
		return craft.Link{Framing: craft.EthernetLLC}
	}},
	{"GRE, WCCP v2 redirect header", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			// Flags: dynamic service; service ID 89; buckets 0 and 72.
			return layerList(o.ip4(out, layers.IPProtocolGRE), &layers.GRE{Protocol: 0x883e},
				&craft.Raw{Type: gopacket.LayerTypePayload, Bytes: []byte{0x01, 0x59, 0x00, 0x48}})
		}}
	}},
	{"GRE, WCCP v1 (no redirect header)", false, func(o *outer) craft.Link {
		return craft.Link{Tunnel: func(out bool, in layers.EthernetType) []gopacket.SerializableLayer {
			return layerList(o.ip4(out, layers.IPProtocolGRE), &layers.GRE{Protocol: 0x883e})
		}}
	}},
}

// tunnels: one connection per encapsulation of tunnelCases, then UDP
// datagrams on tunnel ports that carry no TCP: an AYIYA heartbeat, a GTP-U
// echo request, and a DNS reply from port 53 to port 4789 (not VXLAN: the
// lower port names the protocol).
func tunnels(w *craft.Wire) {
	var o outer
	for i, tc := range tunnelCases {
		client, server := ap(fmt.Sprintf("192.0.2.10:%d", 42000+i)), ap("198.51.100.20:80")
		if tc.v6 {
			client, server = ap(fmt.Sprintf("[2001:db8:1::10]:%d", 42000+i)), ap("[2001:db8:2::20]:80")
		}
		c := w.Conn(client, server, 0x10000000*uint32(i+1), 0x0f000000*uint32(i+1))
		c.Link = tc.link(&o)
		exchange(w, c)
	}
	link := craft.Link{Src: net.HardwareAddr{0x02, 0, 203, 0, 113, 1}, Dst: net.HardwareAddr{0x02, 0, 203, 0, 113, 2}}
	payload := func(ls []gopacket.SerializableLayer, b []byte) []gopacket.SerializableLayer {
		return append(ls, gopacket.Payload(b))
	}
	w.Write(link, payload(o.udp(true, 5072, 5072, false), ayiya(0, 59))...)
	w.Advance(ms)
	w.Write(link, payload(o.udp(true, 2152, 2152, false), []byte{0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0})...)
	w.Advance(ms)
	dns := o.udp(false, 4789, 53, true)
	w.Write(link, payload(dns, []byte{0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0})...)
}
