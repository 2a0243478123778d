package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// ipv4At is where the IPv4 header starts in the Ethernet frames these
// stories edit.
const ipv4At = 14

// fixIPv4Checksum recomputes the header checksum of the IPv4 header at
// frame[at:] after an edit.
func fixIPv4Checksum(frame []byte, at int) {
	h := frame[at : at+int(frame[at]&0xf)*4]
	h[10], h[11] = 0, 0
	var sum uint32
	for i := 0; i < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
}

// setIPv4Length returns an Edit that replaces the IPv4 total length by what
// n makes of it and fixes the header checksum.
func setIPv4Length(n func(old int) int) func([]byte) {
	return func(f []byte) {
		old := int(binary.BigEndian.Uint16(f[ipv4At+2:]))
		binary.BigEndian.PutUint16(f[ipv4At+2:], uint16(n(old)))
		fixIPv4Checksum(f, ipv4At)
	}
}

// lengths: where a segment's length comes from. A 80,000-byte segment
// captured before TCP segmentation offload (IPv4 total length 0); a
// 70,000-byte IPv6 jumbogram (payload length 0, hop-by-hop jumbo option); a
// response whose IPv4 total length claims 300 bytes more than the frame
// holds, though the frame is whole; small frames followed by a 30-byte
// trailer; a response cut by a 100-byte snap length.
func lengths(w *craft.Wire) {
	big := func(c *craft.Conn, n int, link craft.Link) {
		c.Handshake(ms)
		w.Advance(ms)
		c.Client(psh|ack, craft.Payload([]byte("GET /big HTTP/1.1\r\n\r\n")))
		w.Advance(ms)
		plain := c.Link
		c.Link = link
		c.Server(ack, craft.Data(n))
		c.Link = plain
		w.Advance(ms)
		c.Client(ack)
		w.Advance(ms)
		closeByClient(w, c, ms)
		w.Advance(10 * ms)
	}
	tso := w.Conn(ap("192.0.2.10:43000"), ap("198.51.100.20:80"), 0x31000000, 0x32000000)
	big(tso, 80000, craft.Link{TSO: true})
	jumbo := w.Conn(ap("[2001:db8:1::10]:43001"), ap("[2001:db8:2::20]:80"), 0x33000000, 0x34000000)
	big(jumbo, 70000, craft.Link{})
	bogus := w.Conn(ap("192.0.2.10:43002"), ap("198.51.100.20:80"), 0x35000000, 0x36000000)
	big(bogus, 13, craft.Link{Edit: setIPv4Length(func(old int) int { return old + 300 })})
	trailer := w.Conn(ap("192.0.2.10:43003"), ap("198.51.100.20:80"), 0x37000000, 0x38000000)
	trailer.Link = craft.Link{Pad: 96}
	exchange(w, trailer)
	cut := w.Conn(ap("192.0.2.10:43004"), ap("198.51.100.20:80"), 0x39000000, 0x3a000000)
	big(cut, 1000, craft.Link{Snap: 100})
}

// setDataOffset returns an Edit that writes words into the TCP data offset
// of an Ethernet/IPv4 frame without IP options.
func setDataOffset(words byte) func([]byte) {
	return func(f []byte) {
		at := ipv4At + 20 + 12
		f[at] = words<<4 | f[at]&0xf
	}
}

// badHeaders: TCP headers that are not whole segments, and how Wireshark
// numbers them. Connection 0 has a request whose header the snap length cut
// in the middle of the timestamps option: still a segment (its length comes
// from the IP header), without timestamps. Then a stray segment whose data
// offset says 12 bytes on a new 4-tuple (bogus: Wireshark gives it the next
// tcp.stream, 1, and reads nothing after the window); a segment whose IPv4
// total length ends 18 bytes into its 40-byte TCP header ("short segment",
// stream 2); a last connection, stream 3.
func badHeaders(w *craft.Wire) {
	a := w.Conn(ap("192.0.2.10:44000"), ap("198.51.100.20:80"), 0x41000000, 0x42000000)
	a.Handshake(ms)
	w.Advance(ms)
	a.Link = craft.Link{Snap: ipv4At + 20 + 24} // NOP, NOP and 2 bytes of the timestamps option
	a.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\n\r\n")))
	a.Link = craft.Link{}
	w.Advance(ms)
	a.Server(psh|ack, craft.Data(300))
	w.Advance(ms)
	a.Client(ack)
	w.Advance(ms)

	stray := w.Conn(ap("192.0.2.66:44001"), ap("198.51.100.20:80"), 0x43000000, 0x44000000)
	stray.Link = craft.Link{Edit: setDataOffset(3)}
	stray.Client(psh|ack, craft.Data(40))
	w.Advance(ms)

	short := w.Conn(ap("192.0.2.67:44002"), ap("198.51.100.20:80"), 0x45000000, 0x46000000)
	short.Link = craft.Link{Edit: setIPv4Length(func(int) int { return 20 + 18 })}
	short.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(ms)

	last := w.Conn(ap("192.0.2.10:44003"), ap("198.51.100.20:80"), 0x47000000, 0x48000000)
	exchange(w, last)
	closeByClient(w, a, ms)
}

// linkTypeCase is one interface of linktypes.pcapng and its connection.
type linkTypeCase struct {
	name  string
	iface pcapgo.NgInterface
	link  craft.Link
	v6    bool
}

var (
	bssid         = net.HardwareAddr{0x02, 0xcc, 0, 0, 0, 0xee}
	linkTypeCases = []linkTypeCase{
		{"Cisco HDLC", pcapgo.NgInterface{Name: "serial0"}, craft.Link{Framing: craft.CiscoHDLC}, false},
		{"FDDI", pcapgo.NgInterface{Name: "fddi0"}, craft.Link{Framing: craft.FDDI}, false},
		{"IP over InfiniBand", pcapgo.NgInterface{Name: "ib0"}, craft.Link{Framing: craft.IPoIB}, false},
		{"NFLOG, IPv4", pcapgo.NgInterface{Name: "nflog"}, craft.Link{Framing: craft.NFLog}, false},
		{"NFLOG, IPv6", pcapgo.NgInterface{Name: "nflog"}, craft.Link{Framing: craft.NFLog}, true},
		{"802.11 QoS data", pcapgo.NgInterface{Name: "wlan0"}, craft.Link{Framing: craft.Dot11, BSSID: bssid, QoS: true}, false},
		{"radiotap and 802.11 with FCS", pcapgo.NgInterface{Name: "wlan0mon"}, craft.Link{Framing: craft.RadioTap, BSSID: bssid, FCS: true}, false},
		{"Linux cooked, 20-byte address length", pcapgo.NgInterface{Name: "any"}, craft.Link{Framing: craft.SLL, SLLAddrLen: 20}, false},
		{"PPP", pcapgo.NgInterface{Name: "ppp0"}, craft.Link{Framing: craft.PPP}, false},
		{"PPP in HDLC-like framing, IPv6", pcapgo.NgInterface{Name: "serial1"}, craft.Link{Framing: craft.PPPHDLC}, true},
		{"Cisco PPP", pcapgo.NgInterface{Name: "serial2"}, craft.Link{Framing: craft.CiscoPPP}, false},
		{"PPPoE without Ethernet", pcapgo.NgInterface{Name: "pppoe0"}, craft.Link{Framing: craft.PPPoE}, false},
		{"Linux ARCNET, RFC 1201, IPv6", pcapgo.NgInterface{Name: "arc0"}, craft.Link{Framing: craft.ARCNET}, true},
		{"Linux ARCNET, RFC 1051", pcapgo.NgInterface{Name: "arc1"}, craft.Link{Framing: craft.ARCNET1051}, false},
		{"Juniper Ethernet, an extension TLV", pcapgo.NgInterface{Name: "ge-0/0/0"}, craft.Link{Framing: craft.JuniperEther}, false},
	}
)

// linkTypes: linktypes.pcapng, one interface per link type of
// linkTypeCases (the two NFLOG connections share one), one connection on
// each; then on the 802.11 interface a protected data frame and a
// management frame, neither of which carries a packet tcpflow can read.
func linkTypes() ([]byte, error) {
	var buf bytes.Buffer
	var ng *pcapgo.NgWriter
	index := map[string]int{}
	for _, lc := range linkTypeCases {
		if _, ok := index[lc.iface.Name]; ok {
			continue
		}
		iface := lc.iface
		iface.LinkType, iface.SnapLength = lc.link.Framing.LinkType(), defaultSnaplen
		var err error
		if ng == nil {
			ng, err = pcapgo.NewNgWriterInterface(&buf, iface, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "tcpflow mkpcaps"}})
			index[iface.Name] = 0
		} else {
			index[iface.Name], err = ng.AddInterface(iface)
		}
		if err != nil {
			return nil, err
		}
	}
	w := craft.NewWire(ng, start)
	for i, lc := range linkTypeCases {
		client, server := ap(fmt.Sprintf("192.0.2.10:%d", 45000+i)), ap("198.51.100.20:80")
		if lc.v6 {
			client, server = ap(fmt.Sprintf("[2001:db8:1::10]:%d", 45000+i)), ap("[2001:db8:2::20]:80")
		}
		c := w.Conn(client, server, 0x51000000*uint32(i+1), 0x52000000*uint32(i+1))
		c.Link = lc.link
		c.Link.Interface = index[lc.iface.Name]
		exchange(w, c)
	}
	wlan := craft.Link{Framing: craft.Dot11, BSSID: bssid, Interface: index["wlan0"], Outgoing: true,
		Src: net.HardwareAddr{0x02, 0, 192, 0, 2, 10}, Dst: net.HardwareAddr{0x02, 0, 198, 51, 100, 20}}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 0, 2, 10}, DstIP: net.IP{198, 51, 100, 20}}
	udp := &layers.UDP{SrcPort: 5353, DstPort: 5353}
	_ = udp.SetNetworkLayerForChecksum(ip)
	protected := wlan
	protected.Edit = func(f []byte) { f[1] |= 0x40 }
	w.Write(protected, ip, udp, gopacket.Payload([]byte("ciphertext")))
	w.Advance(ms)
	mgmt := wlan
	mgmt.Edit = func(f []byte) { f[0], f[1] = 0x80, 0 } // a beacon
	w.Write(mgmt, ip, udp, gopacket.Payload([]byte("beacon body")))
	if err := w.Err(); err != nil {
		return nil, err
	}
	if err := ng.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
