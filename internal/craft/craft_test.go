package craft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// recorder is a PacketWriter that keeps copies of what it is given.
type recorder struct{ pkts []recorded }

type recorded struct {
	ci   gopacket.CaptureInfo
	data []byte
}

func (r *recorder) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	r.pkts = append(r.pkts, recorded{ci, bytes.Clone(data)})
	return nil
}

// decode decodes packet i with the given link type and fails on any decoding
// error.
func (r *recorder) decode(t *testing.T, i int, lt layers.LinkType) gopacket.Packet {
	t.Helper()
	if i >= len(r.pkts) {
		t.Fatalf("packet %d: only %d written", i+1, len(r.pkts))
	}
	p := gopacket.NewPacket(r.pkts[i].data, lt, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("packet %d: decode error: %v", i+1, el.Error())
	}
	return p
}

// tcpOf returns packet i's TCP layer after checking its checksum.
func (r *recorder) tcpOf(t *testing.T, i int, lt layers.LinkType) *layers.TCP {
	t.Helper()
	p := r.decode(t, i, lt)
	tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		t.Fatalf("packet %d: no TCP layer in %v", i+1, p)
	}
	if err := tcp.SetNetworkLayerForChecksum(p.NetworkLayer()); err != nil {
		t.Fatal(err)
	}
	// The sum over the segment with its checksum field in place folds to
	// zero when the field is right.
	sum, err := tcp.ComputeChecksum()
	if err != nil {
		t.Fatal(err)
	}
	if sum != 0 {
		t.Errorf("packet %d: TCP checksum %#04x is wrong (residue %#04x)", i+1, tcp.Checksum, sum)
	}
	return tcp
}

func flagsOf(t *layers.TCP) Flags {
	var f Flags
	for _, x := range []struct {
		on bool
		f  Flags
	}{{t.FIN, FIN}, {t.SYN, SYN}, {t.RST, RST}, {t.PSH, PSH}, {t.ACK, ACK}, {t.URG, URG}, {t.ECE, ECE}, {t.CWR, CWR}} {
		if x.on {
			f |= x.f
		}
	}
	return f
}

// optString renders options compactly: "mss1460,sackok,ts,nop,ws7".
func optString(t *layers.TCP) string {
	var parts []string
	for _, o := range t.Options {
		switch o.OptionType {
		case layers.TCPOptionKindNop:
			parts = append(parts, "nop")
		case layers.TCPOptionKindEndList:
			parts = append(parts, "eol")
		case layers.TCPOptionKindMSS:
			parts = append(parts, fmt.Sprintf("mss%d", binary.BigEndian.Uint16(o.OptionData)))
		case layers.TCPOptionKindWindowScale:
			parts = append(parts, fmt.Sprintf("ws%d", o.OptionData[0]))
		case layers.TCPOptionKindSACKPermitted:
			parts = append(parts, "sackok")
		case layers.TCPOptionKindTimestamps:
			parts = append(parts, "ts")
		case layers.TCPOptionKindSACK:
			s := "sack"
			for i := 0; i+8 <= len(o.OptionData); i += 8 {
				s += fmt.Sprintf("[%d-%d]", binary.BigEndian.Uint32(o.OptionData[i:]), binary.BigEndian.Uint32(o.OptionData[i+4:]))
			}
			parts = append(parts, s)
		default:
			parts = append(parts, fmt.Sprintf("kind%d:%x", o.OptionType, o.OptionData))
		}
	}
	return strings.Join(parts, ",")
}

// tsOf returns the timestamps option's values.
func tsOf(t *testing.T, tcp *layers.TCP) (val, ecr uint32) {
	t.Helper()
	for _, o := range tcp.Options {
		if o.OptionType == layers.TCPOptionKindTimestamps {
			return binary.BigEndian.Uint32(o.OptionData), binary.BigEndian.Uint32(o.OptionData[4:])
		}
	}
	t.Fatalf("no timestamps option in %s", optString(tcp))
	return 0, 0
}

type row struct {
	flags    Flags
	seq, ack uint32
	len      int
	win      uint16
	opts     string
}

func checkRows(t *testing.T, r *recorder, lt layers.LinkType, want []row) {
	t.Helper()
	if len(r.pkts) != len(want) {
		t.Fatalf("%d packets written, want %d", len(r.pkts), len(want))
	}
	for i, w := range want {
		tcp := r.tcpOf(t, i, lt)
		got := row{flagsOf(tcp), tcp.Seq, tcp.Ack, len(tcp.Payload), tcp.Window, optString(tcp)}
		if got != w {
			t.Errorf("packet %d:\n got %+v\nwant %+v", i+1, got, w)
		}
	}
}

func TestConversationNumbers(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 1000, 5000)
	c.Handshake(10 * time.Millisecond)
	c.Client(PSH|ACK, Payload([]byte("hello")))
	c.Server(ACK, Data(100))
	c.Server(PSH|ACK, Data(50))
	c.Client(ACK)
	c.Client(FIN | ACK)
	c.Server(FIN | ACK)
	c.Client(ACK)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	const ts = "nop,nop,ts"
	checkRows(t, &r, layers.LinkTypeEthernet, []row{
		{SYN, 1000, 0, 0, 64240, "mss1460,sackok,ts,nop,ws7"},
		{SYN | ACK, 5000, 1001, 0, 65160, "mss1460,sackok,ts,nop,ws7"},
		{ACK, 1001, 5001, 0, 502, ts},
		{PSH | ACK, 1001, 5001, 5, 502, ts},
		{ACK, 5001, 1006, 100, 509, ts},
		{PSH | ACK, 5101, 1006, 50, 509, ts},
		{ACK, 1006, 5151, 0, 502, ts},
		{FIN | ACK, 1006, 5151, 0, 502, ts},
		{FIN | ACK, 5151, 1007, 0, 509, ts},
		{ACK, 1007, 5152, 0, 502, ts},
	})
	if got, want := r.pkts[1].ci.Timestamp, t0.Add(10*time.Millisecond); !got.Equal(want) {
		t.Errorf("SYN-ACK at %v, want %v", got, want)
	}
}

func TestTimestampsEcho(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 1, 2)
	c.C.TSOffset, c.S.TSOffset = 100, 9000
	c.Client(SYN, LinuxSYN(1460, 7))
	w.Advance(7 * time.Millisecond)
	c.Server(SYN|ACK, LinuxSYN(1460, 7))
	w.Advance(3 * time.Millisecond)
	c.Client(ACK)
	c.Client(ACK, TS(42, 43))
	c.Client(ACK, NoTimestamps)
	want := [][2]uint32{{100, 0}, {9007, 100}, {110, 9007}, {42, 43}}
	for i, ts := range want {
		val, ecr := tsOf(t, r.tcpOf(t, i, layers.LinkTypeEthernet))
		if val != ts[0] || ecr != ts[1] {
			t.Errorf("packet %d: TSval %d TSecr %d, want %d %d", i+1, val, ecr, ts[0], ts[1])
		}
	}
	if got := optString(r.tcpOf(t, 4, layers.LinkTypeEthernet)); got != "" {
		t.Errorf("NoTimestamps: options %q, want none", got)
	}
}

func TestNoTimestampsUnlessBothOffer(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 1, 2)
	c.Client(SYN, LinuxSYN(1460, 7))
	c.Server(SYN|ACK, MSS(1400), SACKPermitted, NOP, NOP)
	c.Client(ACK)
	if got := optString(r.tcpOf(t, 1, layers.LinkTypeEthernet)); got != "mss1400,sackok,nop,nop" {
		t.Errorf("SYN-ACK options %q", got)
	}
	if got := optString(r.tcpOf(t, 2, layers.LinkTypeEthernet)); got != "" {
		t.Errorf("ACK options %q, want none: the server did not offer timestamps", got)
	}
}

func TestLossSACKAndRetransmission(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 0, 1000)
	c.Handshake(time.Millisecond)
	r.pkts = nil
	s1 := c.Server(ACK, Data(100))
	s2 := c.Server(ACK, Data(100), Lost)
	c.Server(ACK, Data(100))
	c.Server(ACK, Data(100))
	c.Client(ACK)
	c.Server(ACK, Seq(s2.Seq), Data(100))
	c.Client(ACK)
	if s1.Frame != 4 || s2.Frame != 0 {
		t.Errorf("frames %d and %d, want 4 and 0 (lost)", s1.Frame, s2.Frame)
	}
	checkRows(t, &r, layers.LinkTypeEthernet, []row{
		{ACK, 1001, 1, 100, 509, "nop,nop,ts"},
		{ACK, 1201, 1, 100, 509, "nop,nop,ts"},
		{ACK, 1301, 1, 100, 509, "nop,nop,ts"},
		{ACK, 1, 1101, 0, 502, "nop,nop,ts,nop,nop,sack[1201-1401]"},
		{ACK, 1101, 1, 100, 509, "nop,nop,ts"},
		{ACK, 1, 1401, 0, 502, "nop,nop,ts"},
	})
	// The retransmission carries the same bytes as the lost original would.
	if a, b := r.tcpOf(t, 4, layers.LinkTypeEthernet).Payload, fill(100, 100); !bytes.Equal(a, b) {
		t.Errorf("retransmitted payload %q, want %q", a, b)
	}
}

func TestSACKBlocksMostRecentFirst(t *testing.T) {
	var e Endpoint
	e.RcvNext = 100
	e.accept(200, 300)
	e.accept(400, 500)
	e.accept(300, 350) // joins the first
	if got, want := fmt.Sprint(e.SACKBlocks()), "[{200 350} {400 500}]"; got != want {
		t.Errorf("blocks %s, want %s", got, want)
	}
	e.accept(100, 200)
	if e.RcvNext != 350 || fmt.Sprint(e.SACKBlocks()) != "[{400 500}]" {
		t.Errorf("after filling the hole: RcvNext %d, blocks %v; want 350, [{400 500}]", e.RcvNext, e.SACKBlocks())
	}
	e.accept(350, 400)
	if e.RcvNext != 500 || len(e.SACKBlocks()) != 0 {
		t.Errorf("RcvNext %d, blocks %v; want 500, none", e.RcvNext, e.SACKBlocks())
	}
}

func TestSequenceWrap(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 0xffffff80, 0xfffffff0)
	c.Handshake(time.Millisecond)
	c.Client(ACK, Data(200))          // 0xffffff81 up to 0x49
	c.Server(ACK, Data(100), Dropped) // 0xfffffff1 up to 0x55, lost after the capture
	c.Server(ACK, Data(100))          // out of order at the client
	c.Client(ACK)                     // duplicate, with a SACK block past zero
	c.Server(ACK, Seq(0xfffffff1), Data(100))
	c.Client(ACK)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	r.pkts = r.pkts[3:]
	checkRows(t, &r, layers.LinkTypeEthernet, []row{
		{ACK, 0xffffff81, 0xfffffff1, 200, 502, "nop,nop,ts"},
		{ACK, 0xfffffff1, 0x49, 100, 509, "nop,nop,ts"},
		{ACK, 0x55, 0x49, 100, 509, "nop,nop,ts"},
		{ACK, 0x49, 0xfffffff1, 0, 502, "nop,nop,ts,nop,nop,sack[85-185]"},
		{ACK, 0xfffffff1, 0x49, 100, 509, "nop,nop,ts"},
		{ACK, 0x49, 0xb9, 0, 502, "nop,nop,ts"},
	})
}

func TestDelayedDelivery(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.2:80"), 0, 1000)
	c.S.Delay = 5 * time.Millisecond // the server's replies lag the capture by 10 ms
	c.Handshake(10 * time.Millisecond)
	c.Client(ACK, Data(10))
	w.Advance(time.Millisecond)
	c.Server(ACK) // too early to have seen the data
	w.Advance(9 * time.Millisecond)
	c.Server(ACK)
	if got := r.tcpOf(t, 4, layers.LinkTypeEthernet).Ack; got != 1 {
		t.Errorf("early ACK acknowledges %d, want 1", got)
	}
	if got := r.tcpOf(t, 5, layers.LinkTypeEthernet).Ack; got != 11 {
		t.Errorf("late ACK acknowledges %d, want 11", got)
	}
}

func TestSimultaneousOpenReusesISN(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 100, 300)
	c.Client(SYN)
	c.Server(SYN)
	c.Client(SYN | ACK)
	c.Server(SYN | ACK)
	c.Client(ACK, Data(1))
	checkRows(t, &r, layers.LinkTypeEthernet, []row{
		{SYN, 100, 0, 0, 64240, ""},
		{SYN, 300, 0, 0, 65160, ""},
		{SYN | ACK, 100, 301, 0, 64240, ""},
		{SYN | ACK, 300, 101, 0, 65160, ""},
		{ACK, 101, 301, 1, 502, ""},
	})
}

func TestRefusedRST(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 777, 0)
	c.Client(SYN, LinuxSYN(1460, 7))
	c.Server(RST|ACK, Window(0))
	c.Server(RST, Seq(12345), Ack(1)) // arbitrary numbers, ack field without ACK
	checkRows(t, &r, layers.LinkTypeEthernet, []row{
		{SYN, 777, 0, 0, 64240, "mss1460,sackok,ts,nop,ws7"},
		{RST | ACK, 0, 778, 0, 0, ""},
		{RST, 12345, 1, 0, 0, ""},
	})
}

func TestOptionEncoding(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
	c.C.TSOffset = 0x01020304
	c.Client(SYN, LinuxSYN(1460, 7))
	c.Client(ACK, Option(253, []byte{0xbe, 0xef}), SACK(Block{10, 20}, Block{30, 40}), Urgent(3))
	syn := r.tcpOf(t, 0, layers.LinkTypeEthernet)
	raw := r.pkts[0].data[14+20+20 : 14+20+40]
	want := []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7}
	if !bytes.Equal(raw, want) || syn.DataOffset != 10 {
		t.Errorf("SYN options % x (data offset %d), want % x (10)", raw, syn.DataOffset, want)
	}
	got := r.tcpOf(t, 1, layers.LinkTypeEthernet)
	// 4+18 bytes of options, padded with an end-of-list and a zero byte,
	// which gopacket decodes as one EOL option and padding.
	if s := optString(got); s != "kind253:beef,sack[10-20][30-40],eol" || got.Urgent != 3 || got.DataOffset != 11 {
		t.Errorf("options %q urgent %d data offset %d, want kind253:beef,sack[10-20][30-40],eol 3 11", s, got.Urgent, got.DataOffset)
	}
}

func TestOptionsTooLong(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
	c.Client(SYN, LinuxSYN(1460, 7), SACK(Block{1, 2}, Block{3, 4}, Block{5, 6}))
	if w.Err() == nil {
		t.Fatal("no error for 46 bytes of options")
	}
	c.Client(SYN)
	if len(r.pkts) != 0 {
		t.Errorf("%d packets written after an error, want 0", len(r.pkts))
	}
}

func TestFramings(t *testing.T) {
	for _, tc := range []struct {
		link   Link
		v6     bool
		layers []gopacket.LayerType
	}{
		{Link{}, false, []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{Link{Framing: Dot1Q, VLAN: 100}, true, []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeIPv6, layers.LayerTypeTCP}},
		{Link{Framing: QinQ, OuterVLAN: 200, VLAN: 300}, false, []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeDot1Q, layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{Link{Framing: SLL}, false, []gopacket.LayerType{layers.LayerTypeLinuxSLL, layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{Link{Framing: SLL2, IfIndex: 7}, true, []gopacket.LayerType{layers.LayerTypeLinuxSLL2, layers.LayerTypeIPv6, layers.LayerTypeTCP}},
		{Link{Framing: RawIP}, false, []gopacket.LayerType{layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{Link{Framing: RawIP}, true, []gopacket.LayerType{layers.LayerTypeIPv6, layers.LayerTypeTCP}},
		{Link{Framing: Null}, false, []gopacket.LayerType{layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{Link{Framing: Null}, true, []gopacket.LayerType{layers.LayerTypeLoopback, layers.LayerTypeIPv6, layers.LayerTypeTCP}},
	} {
		name := fmt.Sprintf("%v/v6=%v", tc.link.Framing, tc.v6)
		t.Run(name, func(t *testing.T) {
			var r recorder
			w := NewWire(&r, t0)
			cli, srv := "192.0.2.1:5000", "198.51.100.2:80"
			if tc.v6 {
				cli, srv = "[2001:db8::1]:5000", "[2001:db8::2]:80"
			}
			c := w.Conn(netip.MustParseAddrPort(cli), netip.MustParseAddrPort(srv), 1, 2)
			c.Link = tc.link
			c.Client(SYN, LinuxSYN(1460, 7))
			c.Server(SYN|ACK, LinuxSYN(1460, 7))
			if err := w.Err(); err != nil {
				t.Fatal(err)
			}
			lt := tc.link.Framing.LinkType()
			p := r.decode(t, 1, lt)
			var got []gopacket.LayerType
			for _, l := range p.Layers() {
				got = append(got, l.LayerType())
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.layers) {
				t.Errorf("layers %v, want %v", got, tc.layers)
			}
			r.tcpOf(t, 0, lt) // checks the checksum
			r.tcpOf(t, 1, lt)
			switch tc.link.Framing {
			case SLL:
				sll := p.Layer(layers.LayerTypeLinuxSLL).(*layers.LinuxSLL)
				out := r.decode(t, 0, lt).Layer(layers.LayerTypeLinuxSLL).(*layers.LinuxSLL)
				if sll.PacketType != layers.LinuxSLLPacketTypeHost || out.PacketType != layers.LinuxSLLPacketTypeOutgoing ||
					sll.Addr.String() != c.S.MAC.String() || sll.EthernetType != layers.EthernetTypeIPv4 {
					t.Errorf("SLL headers %+v / %+v", out, sll)
				}
			case SLL2:
				sll := p.Layer(layers.LayerTypeLinuxSLL2).(*layers.LinuxSLL2)
				if sll.InterfaceIndex != 7 || sll.PacketType != layers.LinuxSLL2PacketTypeHost ||
					sll.Addr.String() != c.S.MAC.String() || sll.ProtocolType != layers.EthernetTypeIPv6 ||
					sll.ARPHardwareType != layers.ARPHardwareTypeEthernet {
					t.Errorf("SLL2 header %+v", sll)
				}
			case QinQ:
				eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
				tags := p.Layers()[1:3]
				outer, inner := tags[0].(*layers.Dot1Q), tags[1].(*layers.Dot1Q)
				if eth.EthernetType != layers.EthernetTypeQinQ || outer.VLANIdentifier != 200 || outer.Type != layers.EthernetTypeDot1Q || inner.VLANIdentifier != 300 {
					t.Errorf("QinQ tags: ethertype %v, outer %+v, inner %+v", eth.EthernetType, outer, inner)
				}
			case Null:
				lo := p.Layer(layers.LayerTypeLoopback).(*layers.Loopback)
				want := layers.ProtocolFamilyIPv4
				if tc.v6 {
					want = layers.ProtocolFamilyIPv6Darwin
				}
				if lo.Family != want || binary.LittleEndian.Uint32(r.pkts[1].data) != uint32(want) {
					t.Errorf("NULL family %v, want %v little-endian", lo.Family, want)
				}
			}
		})
	}
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	c := w.Conn(netip.MustParseAddrPort("[2001:db8::1]:5000"), netip.MustParseAddrPort("[2001:db8::2]:443"), 1, 2)
	c.IPv6Ext = true
	c.Handshake(time.Millisecond)
	c.Client(PSH|ACK, Data(300))
	for i := range r.pkts {
		p := r.decode(t, i, layers.LinkTypeEthernet)
		var got []gopacket.LayerType
		for _, l := range p.Layers() {
			got = append(got, l.LayerType())
		}
		want := []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv6, layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Destination, layers.LayerTypeTCP}
		if i == 3 {
			want = append(want, gopacket.LayerTypePayload)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("packet %d layers %v, want %v", i+1, got, want)
		}
		tcp := r.tcpOf(t, i, layers.LinkTypeEthernet)
		ip6 := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if want := 8 + 8 + 4*int(tcp.DataOffset) + len(tcp.Payload); int(ip6.Length) != want {
			t.Errorf("packet %d: IPv6 payload length %d, want %d", i+1, ip6.Length, want)
		}
	}
}

func TestWriteNonTCP(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	mac := []byte{2, 0, 0, 0, 0, 1}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{192, 0, 2, 1}, DstIP: []byte{192, 0, 2, 2}}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 40001}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	if n := w.Write(Link{Src: mac, Dst: mac}, ip, udp, gopacket.Payload("hi")); n != 1 {
		t.Fatalf("frame %d, want 1 (err %v)", n, w.Err())
	}
	p := r.decode(t, 0, layers.LinkTypeEthernet)
	if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); !ok || string(u.Payload) != "hi" {
		t.Errorf("decoded %v", p)
	}
	if n := w.Write(Link{Framing: RawIP}, &layers.ARP{}); n != 0 || w.Err() == nil {
		t.Errorf("ARP over raw IP: frame %d, err %v; want an error", n, w.Err())
	}
}

func TestSnaplen(t *testing.T) {
	var r recorder
	w := NewWire(&r, t0)
	w.Snaplen = 96
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
	c.Handshake(time.Millisecond)
	c.Client(ACK, Data(1000))
	last := r.pkts[len(r.pkts)-1]
	if last.ci.CaptureLength != 96 || len(last.data) != 96 || last.ci.Length != 14+20+32+1000 {
		t.Errorf("caplen %d (data %d), len %d; want 96, 96, %d", last.ci.CaptureLength, len(last.data), last.ci.Length, 14+20+32+1000)
	}
	if first := r.pkts[0]; first.ci.CaptureLength != first.ci.Length {
		t.Errorf("short packet cut: caplen %d, len %d", first.ci.CaptureLength, first.ci.Length)
	}
}

func TestDeterministic(t *testing.T) {
	run := func() []recorded {
		var r recorder
		w := NewWire(&r, t0)
		c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
		c.Handshake(time.Millisecond)
		c.Client(PSH|ACK, Data(500))
		w.Advance(time.Millisecond)
		c.Server(ACK)
		return r.pkts
	}
	a, b := run(), run()
	for i := range a {
		if !bytes.Equal(a[i].data, b[i].data) || !a[i].ci.Timestamp.Equal(b[i].ci.Timestamp) {
			t.Fatalf("packet %d differs between runs", i+1)
		}
	}
}

// TestRepeat: a repeated frame is the same bytes at the current time, and
// the connection goes on as if it had been written once.
func TestRepeat(t *testing.T) {
	var r recorder
	w := NewWire(&r, time.Unix(0, 0))
	if w.Repeat() != 0 {
		t.Fatal("Repeat before any frame wrote one")
	}
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:1000"), netip.MustParseAddrPort("198.51.100.1:80"), 100, 200)
	c.Handshake(time.Millisecond)
	c.Client(PSH|ACK, Data(10))
	w.Advance(time.Microsecond)
	if n := w.Repeat(); n != 5 {
		t.Fatalf("Repeat wrote frame %d, want 5", n)
	}
	if !bytes.Equal(r.pkts[3].data, r.pkts[4].data) || !r.pkts[4].ci.Timestamp.Equal(r.pkts[3].ci.Timestamp.Add(time.Microsecond)) {
		t.Errorf("repeat differs from the original or is at the wrong time")
	}
	if s := c.Server(ACK); s.Ack != 111 {
		t.Errorf("server acknowledged %d, want 111: the copy was delivered again", s.Ack)
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{0: "none", SYN | ACK: "SYN|ACK", FIN | PSH | ACK: "FIN|PSH|ACK", RST: "RST"} {
		if got := f.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint8(f), got, want)
		}
	}
}

func BenchmarkDataSegment(b *testing.B) {
	w := NewWire(discard{}, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
	c.Handshake(time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		c.Server(ACK, Data(1448))
		c.Client(ACK)
		w.Advance(time.Microsecond)
	}
	if err := w.Err(); err != nil {
		b.Fatal(err)
	}
}

type discard struct{}

func (discard) WritePacket(gopacket.CaptureInfo, []byte) error { return nil }
