package craft

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// oneConn sends a SYN, a SYN-ACK and a 1000-byte data segment from the
// server over link, and returns what was captured and the connection.
func oneConn(t *testing.T, link Link, v6 bool) (*recorder, *Conn) {
	t.Helper()
	var r recorder
	w := NewWire(&r, t0)
	cli, srv := "192.0.2.1:5000", "198.51.100.2:80"
	if v6 {
		cli, srv = "[2001:db8::1]:5000", "[2001:db8::2]:80"
	}
	c := w.Conn(netip.MustParseAddrPort(cli), netip.MustParseAddrPort(srv), 1, 2)
	c.Link = link
	c.Client(SYN, LinuxSYN(1460, 7))
	c.Server(SYN|ACK, LinuxSYN(1460, 7))
	c.Server(ACK, Data(1000))
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	return &r, c
}

func TestTunnel(t *testing.T) {
	a, b := net.IP{203, 0, 113, 1}, net.IP{203, 0, 113, 2}
	link := Link{Tunnel: func(out bool, inner layers.EthernetType) []gopacket.SerializableLayer {
		src, dst := a, b
		if !out {
			src, dst = b, a
		}
		return []gopacket.SerializableLayer{
			&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: src, DstIP: dst},
			&layers.GRE{Protocol: inner},
		}
	}}
	r, _ := oneConn(t, link, false)
	for i, wantSrc := range []net.IP{a, b} {
		p := r.decode(t, i, layers.LinkTypeEthernet)
		var got []gopacket.LayerType
		for _, l := range p.Layers() {
			got = append(got, l.LayerType())
		}
		want := []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeGRE, layers.LayerTypeIPv4, layers.LayerTypeTCP}
		if len(got) != len(want) || got[2] != want[2] || got[4] != want[4] {
			t.Fatalf("packet %d: layers %v, want %v", i+1, got, want)
		}
		if outer := p.Layers()[1].(*layers.IPv4); !outer.SrcIP.Equal(wantSrc) {
			t.Errorf("packet %d: outer source %v, want %v", i+1, outer.SrcIP, wantSrc)
		}
		if eth := p.Layers()[0].(*layers.Ethernet); eth.EthernetType != layers.EthernetTypeIPv4 {
			t.Errorf("packet %d: EtherType %v", i+1, eth.EthernetType)
		}
	}
}

func TestMTU(t *testing.T) {
	// IP in IP: the outer header has no don't-fragment flag.
	ipip := func(bool, layers.EthernetType) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolIPv4,
			SrcIP: net.IP{203, 0, 113, 1}, DstIP: net.IP{203, 0, 113, 2}}}
	}
	plain, _ := oneConn(t, Link{Tunnel: ipip}, false)
	frag, _ := oneConn(t, Link{Tunnel: ipip, MTU: 576}, false)
	if _, err := fragment4(plain.pkts[2].data[14+20:], 576); err == nil {
		t.Error("the inner packet has don't-fragment set: no error")
	}
	if len(plain.pkts) != 3 || len(frag.pkts) != 4 {
		t.Fatalf("%d and %d packets, want 3 and 4 (the data segment in 2 fragments)", len(plain.pkts), len(frag.pkts))
	}
	whole := plain.pkts[2].data[14:]
	var payload []byte
	for i, f := range frag.pkts[2:] {
		ip := f.data[14:]
		if len(ip) > 576 || ipChecksum(ip[:20]) != 0 {
			t.Errorf("fragment %d: %d bytes, checksum sums to %#x", i+1, len(ip), ipChecksum(ip[:20]))
		}
		off := int(binary.BigEndian.Uint16(ip[6:])&0x1fff) * 8
		mf := binary.BigEndian.Uint16(ip[6:])&0x2000 != 0
		if off != len(payload) || mf != (i == 0) {
			t.Errorf("fragment %d: offset %d, more fragments %v", i+1, off, mf)
		}
		payload = append(payload, ip[20:]...)
	}
	if !bytes.Equal(payload, whole[20:]) {
		t.Error("the fragments do not make up the packet")
	}
}

func TestTSO(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("198.51.100.2:80"), 1, 2)
	c.Handshake(time.Millisecond)
	c.Server(ACK, Data(80000))
	if err := w.Err(); err == nil {
		t.Error("80000 bytes in an IPv4 packet without TSO: no error")
	}
	r = recorder{}
	w = NewWire(&r, t0)
	c = w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("198.51.100.2:80"), 1, 2)
	c.Handshake(time.Millisecond)
	c.Link = Link{TSO: true}
	c.Server(ACK, Data(80000))
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	ip := r.pkts[len(r.pkts)-1].data[14:]
	if binary.BigEndian.Uint16(ip[2:]) != 0 || ipChecksum(ip[:20]) != 0 || len(ip) != 20+32+80000 {
		t.Errorf("total length %d, checksum sums to %#x, %d bytes", binary.BigEndian.Uint16(ip[2:]), ipChecksum(ip[:20]), len(ip))
	}
}

func TestPadSnapEdit(t *testing.T) {
	r, _ := oneConn(t, Link{Pad: 200, Snap: 150, Edit: func(f []byte) { f[0] = 0xee }}, false)
	for i, p := range r.pkts {
		if p.ci.Length < 200 || p.ci.CaptureLength != 150 || len(p.data) != 150 || p.data[0] != 0xee {
			t.Errorf("packet %d: len %d, caplen %d, first byte %#x", i+1, p.ci.Length, p.ci.CaptureLength, p.data[0])
		}
	}
	if syn := r.pkts[0]; syn.ci.Length != 200 || !bytes.Equal(syn.data[14+20+40:150], make([]byte, 150-14-20-40)) {
		t.Errorf("SYN: len %d, padding not zero", syn.ci.Length)
	}
}

func TestLinkHeaders(t *testing.T) {
	bssid := net.HardwareAddr{2, 0xcc, 0, 0, 0, 0xee}
	llcIPv4 := []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00}
	for _, tc := range []struct {
		link  Link
		v6    bool
		check func(t *testing.T, syn, synack []byte, c *Conn)
	}{
		{Link{Framing: CiscoHDLC}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if !bytes.Equal(syn[:4], []byte{0x0f, 0, 0x08, 0x00}) || syn[4]>>4 != 4 {
				t.Errorf("header % x", syn[:5])
			}
		}},
		{Link{Framing: FDDI}, false, func(t *testing.T, syn, _ []byte, c *Conn) {
			if syn[0] != 0x50 || !bytes.Equal(syn[1:7], c.S.MAC) || !bytes.Equal(syn[7:13], c.C.MAC) || !bytes.Equal(syn[13:21], llcIPv4) {
				t.Errorf("header % x", syn[:21])
			}
		}},
		{Link{Framing: IPoIB}, true, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if binary.BigEndian.Uint16(syn[40:]) != 0x86dd || syn[44]>>4 != 6 {
				t.Errorf("header % x", syn[:45])
			}
		}},
		{Link{Framing: NFLog}, true, func(t *testing.T, syn, _ []byte, _ *Conn) {
			// family 10; the payload attribute (type 9) is the last one,
			// its length the packet's plus 4; the message is 4-aligned.
			at := len(syn) - (40 + 40) - 4
			if syn[0] != 10 || len(syn)%4 != 0 || binary.LittleEndian.Uint16(syn[at+2:]) != 9 ||
				int(binary.LittleEndian.Uint16(syn[at:])) != 4+40+40 || syn[at+4]>>4 != 6 {
				t.Errorf("message % x", syn[:at+5])
			}
		}},
		{Link{Framing: Dot11, BSSID: bssid, QoS: true}, false, func(t *testing.T, syn, synack []byte, c *Conn) {
			// To DS: BSSID, client, server; From DS: client, BSSID, server.
			if syn[0] != 0x88 || syn[1] != 1 || !bytes.Equal(syn[4:10], bssid) || !bytes.Equal(syn[10:16], c.C.MAC) ||
				!bytes.Equal(syn[16:22], c.S.MAC) || !bytes.Equal(syn[26:34], llcIPv4) {
				t.Errorf("client's header % x", syn[:34])
			}
			if synack[1] != 2 || !bytes.Equal(synack[4:10], c.C.MAC) || !bytes.Equal(synack[10:16], bssid) || !bytes.Equal(synack[16:22], c.S.MAC) {
				t.Errorf("server's header % x", synack[:34])
			}
		}},
		{Link{Framing: RadioTap, BSSID: bssid, FCS: true}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			fcs := binary.LittleEndian.Uint32(syn[len(syn)-4:])
			if syn[2] != 9 || syn[8] != 0x10 || syn[9] != 0x08 || fcs != crc32.ChecksumIEEE(syn[9:len(syn)-4]) {
				t.Errorf("radiotap % x, FCS %#x", syn[:10], fcs)
			}
		}},
		{Link{Framing: EthernetLLC}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if binary.BigEndian.Uint16(syn[12:]) != uint16(8+20+40) || !bytes.Equal(syn[14:22], llcIPv4) {
				t.Errorf("header % x", syn[:22])
			}
		}},
		{Link{Framing: PPP}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if !bytes.Equal(syn[:4], []byte{0xff, 0x03, 0x00, 0x21}) || syn[4]>>4 != 4 {
				t.Errorf("header % x", syn[:5])
			}
		}},
		{Link{Framing: PPPHDLC}, true, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if !bytes.Equal(syn[:4], []byte{0xff, 0x03, 0x00, 0x57}) || syn[4]>>4 != 6 {
				t.Errorf("header % x", syn[:5])
			}
		}},
		{Link{Framing: CiscoPPP}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if !bytes.Equal(syn[:4], []byte{0x0f, 0, 0x08, 0x00}) || syn[4]>>4 != 4 {
				t.Errorf("header % x", syn[:5])
			}
		}},
		{Link{Framing: PPPoE}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if !bytes.Equal(syn[:4], []byte{0x11, 0, 0x12, 0x34}) || int(binary.BigEndian.Uint16(syn[4:])) != len(syn)-6 ||
				!bytes.Equal(syn[6:8], []byte{0x00, 0x21}) || syn[8]>>4 != 4 {
				t.Errorf("header % x", syn[:9])
			}
		}},
		{Link{Framing: ARCNET}, true, func(t *testing.T, syn, _ []byte, c *Conn) {
			if syn[0] != c.C.MAC[5] || syn[1] != c.S.MAC[5] || syn[4] != 196 || syn[5] != 0 || syn[8]>>4 != 6 {
				t.Errorf("header % x", syn[:9])
			}
		}},
		{Link{Framing: JuniperEther}, false, func(t *testing.T, syn, _ []byte, c *Conn) {
			if string(syn[:3]) != "MGC" || syn[3] != 0x81 || binary.BigEndian.Uint16(syn[4:]) != 6 ||
				!bytes.Equal(syn[12:18], c.S.MAC) || binary.BigEndian.Uint16(syn[24:]) != 0x0800 {
				t.Errorf("header % x", syn[:26])
			}
		}},
		{Link{Framing: ARCNET1051}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if syn[4] != 240 || syn[5]>>4 != 4 {
				t.Errorf("header % x", syn[:6])
			}
		}},
		{Link{Framing: SLL, SLLAddrLen: 20}, false, func(t *testing.T, syn, _ []byte, _ *Conn) {
			if binary.BigEndian.Uint16(syn[4:]) != 20 || syn[16]>>4 != 4 {
				t.Errorf("header % x", syn[:17])
			}
		}},
	} {
		t.Run(tc.link.Framing.String(), func(t *testing.T) {
			r, c := oneConn(t, tc.link, tc.v6)
			tc.check(t, r.pkts[0].data, r.pkts[1].data, c)
		})
	}
}
