package main

import (
	"encoding/binary"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// nonTCP: a client's traffic with one HTTP connection among everything else
// a capture holds: ARP for the gateway, a DNS lookup over UDP, an ICMP echo,
// a UDP datagram in two IPv4 fragments, and a SYN to an unreachable host
// answered by the gateway's ICMP destination unreachable, which quotes that
// SYN's IP header and the first 8 bytes of its TCP header. Only the SYN and
// the HTTP connection are TCP segments.
func nonTCP(w *craft.Wire) {
	var (
		clientIP  = net.IP{192, 0, 2, 10}
		gatewayIP = net.IP{192, 0, 2, 1}
		dnsIP     = net.IP{192, 0, 2, 53}
		serverIP  = net.IP{198, 51, 100, 20}
		clientMAC = net.HardwareAddr{0x02, 0x00, 192, 0, 2, 10}
		gwMAC     = net.HardwareAddr{0x02, 0x00, 192, 0, 2, 1}
		broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		out       = craft.Link{Src: clientMAC, Dst: gwMAC}
		in        = craft.Link{Src: gwMAC, Dst: clientMAC}
	)
	ip4 := func(src, dst net.IP, proto layers.IPProtocol, id uint16) *layers.IPv4 {
		return &layers.IPv4{Version: 4, Id: id, Flags: layers.IPv4DontFragment, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst}
	}

	// ARP for the gateway.
	w.Write(craft.Link{Src: clientMAC, Dst: broadcast}, &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPRequest,
		SourceHwAddress: clientMAC, SourceProtAddress: clientIP,
		DstHwAddress: net.HardwareAddr{0, 0, 0, 0, 0, 0}, DstProtAddress: gatewayIP,
	})
	w.Advance(300 * us)
	w.Write(in, &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPReply,
		SourceHwAddress: gwMAC, SourceProtAddress: gatewayIP,
		DstHwAddress: clientMAC, DstProtAddress: clientIP,
	})

	// DNS lookup.
	name := []byte("www.example.com")
	question := []layers.DNSQuestion{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN}}
	w.Advance(200 * us)
	udp := &layers.UDP{SrcPort: 53211, DstPort: 53}
	ip := ip4(clientIP, dnsIP, layers.IPProtocolUDP, 0x1a01)
	ip.Flags = 0
	_ = udp.SetNetworkLayerForChecksum(ip)
	w.Write(out, ip, udp, &layers.DNS{ID: 0x2b3c, RD: true, Questions: question})
	w.Advance(4 * ms)
	udp = &layers.UDP{SrcPort: 53, DstPort: 53211}
	ip = ip4(dnsIP, clientIP, layers.IPProtocolUDP, 0x7e11)
	_ = udp.SetNetworkLayerForChecksum(ip)
	w.Write(in, ip, udp, &layers.DNS{
		ID: 0x2b3c, QR: true, RD: true, RA: true, Questions: question,
		Answers: []layers.DNSResourceRecord{{Name: name, Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 300, IP: serverIP}},
	})

	// ICMP echo.
	ping := make([]byte, 56)
	for i := range ping {
		ping[i] = byte(i)
	}
	w.Advance(1 * ms)
	w.Write(out, ip4(clientIP, serverIP, layers.IPProtocolICMPv4, 0x2001),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 0x0b0b, Seq: 1},
		gopacket.Payload(ping))
	w.Advance(12 * ms)
	w.Write(in, ip4(serverIP, clientIP, layers.IPProtocolICMPv4, 0x9c01),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: 0x0b0b, Seq: 1},
		gopacket.Payload(ping))

	// The HTTP connection, with a fragmented UDP datagram in the middle.
	w.Advance(1 * ms)
	c := w.Conn(ap("192.0.2.10:49200"), ap("198.51.100.20:80"), 0x51525354, 0x61626364)
	c.C.MAC, c.S.MAC = clientMAC, gwMAC
	const rtt = 12 * ms
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n")))
	w.Advance(rtt)
	c.Server(ack, craft.Data(seg))
	w.Advance(2 * ms)
	fragments(w, in, 0x4d2e)
	w.Advance(1 * ms)
	c.Server(psh|ack, craft.Data(400))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(1 * ms)
	closeByClient(w, c, rtt)

	// A SYN to a host the gateway cannot reach.
	w.Advance(500 * ms)
	u := w.Conn(ap("192.0.2.10:49201"), ap("203.0.113.99:443"), 0x71727374, 0)
	u.C.MAC, u.S.MAC = clientMAC, gwMAC
	ipid := u.C.IPID
	synSent := u.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(3 * ms)
	quoted, err := quoteSYN(clientIP, net.IP{203, 0, 113, 99}, ipid, 49201, 443, synSent.Seq)
	if err != nil {
		w.Fail(err)
		return
	}
	w.Write(in, ip4(gatewayIP, clientIP, layers.IPProtocolICMPv4, 0x0f0f),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodeHost)},
		gopacket.Payload(quoted))
}

// quoteSYN returns what an ICMP error quotes of a SYN that carried 20 bytes
// of options: its IPv4 header as the router received it (TTL already
// decremented) and the first 8 bytes of the TCP header (ports and sequence
// number), RFC 792.
func quoteSYN(src, dst net.IP, id, sport, dport uint16, seq uint32) ([]byte, error) {
	tcp8 := make([]byte, 8)
	binary.BigEndian.PutUint16(tcp8[0:], sport)
	binary.BigEndian.PutUint16(tcp8[2:], dport)
	binary.BigEndian.PutUint32(tcp8[4:], seq)
	ip := &layers.IPv4{
		Version: 4, IHL: 5, Length: 20 + 40, Id: id, Flags: layers.IPv4DontFragment,
		TTL: 63, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst,
	}
	buf := gopacket.NewSerializeBuffer()
	// Lengths as given: the quoted header keeps the original's total length.
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, ip, gopacket.Payload(tcp8)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fragments writes a 2000-byte UDP datagram from the gateway's network to
// the client in two IPv4 fragments: 1480 bytes with more-fragments set, then
// the remaining 528 at offset 1480.
func fragments(w *craft.Wire, link craft.Link, id uint16) {
	src, dst := net.IP{198, 51, 100, 77}, net.IP{192, 0, 2, 10}
	data := make([]byte, 2000)
	for i := range data {
		data[i] = 'A' + byte(i%26)
	}
	// Serialize the whole datagram once to get the UDP header and checksum.
	ip := &layers.IPv4{Version: 4, TTL: 57, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 40001}
	_ = udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, udp, gopacket.Payload(data)); err != nil {
		w.Fail(err)
		return
	}
	whole := buf.Bytes()[20:] // UDP header and data: 2008 bytes
	const first = 1480
	w.Write(link, &layers.IPv4{Version: 4, Id: id, Flags: layers.IPv4MoreFragments, TTL: 57, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst},
		gopacket.Payload(whole[:first]))
	w.Advance(15 * us)
	w.Write(link, &layers.IPv4{Version: 4, Id: id, FragOffset: first / 8, TTL: 57, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst},
		gopacket.Payload(whole[first:]))
}
