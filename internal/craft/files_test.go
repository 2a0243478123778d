package craft

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// story writes a short conversation whose timestamps use all nine digits.
func story(w *Wire) {
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
	w.Advance(123456789 * time.Nanosecond)
	c.Handshake(time.Millisecond)
	c.Client(PSH|ACK, Data(10))
}

func TestBigEndianWriter(t *testing.T) {
	for _, nanos := range []bool{false, true} {
		var buf bytes.Buffer
		bw, err := NewBigEndianWriter(&buf, 65535, layers.LinkTypeEthernet, nanos)
		if err != nil {
			t.Fatal(err)
		}
		var want recorder
		w := NewWire(multiWriter{bw, &want}, t0)
		story(w)
		if err := w.Err(); err != nil {
			t.Fatal(err)
		}
		magic := binary.BigEndian.Uint32(buf.Bytes())
		if wantMagic := map[bool]uint32{false: 0xa1b2c3d4, true: 0xa1b23c4d}[nanos]; magic != wantMagic {
			t.Errorf("nanos=%v: magic %#x as big-endian, want %#x", nanos, magic, wantMagic)
		}
		r, err := pcapgo.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if r.LinkType() != layers.LinkTypeEthernet || r.Snaplen() != 65535 {
			t.Errorf("link type %v snaplen %d", r.LinkType(), r.Snaplen())
		}
		for i, p := range want.pkts {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				t.Fatalf("nanos=%v packet %d: %v", nanos, i+1, err)
			}
			wantTS := p.ci.Timestamp
			if !nanos {
				wantTS = wantTS.Truncate(time.Microsecond)
			}
			if !bytes.Equal(data, p.data) || !ci.Timestamp.Equal(wantTS) || ci.Length != p.ci.Length {
				t.Errorf("nanos=%v packet %d: read %v len %d, want %v len %d (or data differs)", nanos, i+1, ci.Timestamp, ci.Length, wantTS, p.ci.Length)
			}
		}
	}
}

func TestResolNgWriter(t *testing.T) {
	var buf bytes.Buffer
	nw, err := NewResolNgWriter(&buf,
		NgInterface{LinkType: layers.LinkTypeEthernet, Name: "eth0"},
		NgInterface{LinkType: layers.LinkTypeRaw, SnapLen: 128, TSResol: 9},
		NgInterface{LinkType: layers.LinkTypeLinuxSLL2, TSResol: 3})
	if err != nil {
		t.Fatal(err)
	}
	var want recorder
	w := NewWire(multiWriter{nw, &want}, t0)
	c := w.Conn(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:6000"), 1, 2)
	w.Advance(123456789 * time.Nanosecond)
	for i, l := range []Link{{}, {Framing: RawIP, Interface: 1}, {Framing: SLL2, Interface: 2}} {
		c.Link = l
		c.Client(ACK, Data(i+1))
		w.Advance(1001 * time.Nanosecond)
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	// Without WantMixedLinkType pcapgo skips packets whose interface's link
	// type differs from the first interface's.
	r, err := pcapgo.NewNgReader(&buf, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range want.pkts {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		unit := []time.Duration{time.Microsecond, time.Nanosecond, time.Millisecond}[i]
		wantTS := p.ci.Timestamp.Truncate(unit)
		if ci.InterfaceIndex != i || !bytes.Equal(data, p.data) || !ci.Timestamp.Equal(wantTS) {
			t.Errorf("packet %d: interface %d at %v, want %d at %v (or data differs)", i+1, ci.InterfaceIndex, ci.Timestamp, i, wantTS)
		}
	}
	// pcapgo reads interface blocks as it meets them: all are known now.
	if n := r.NInterfaces(); n != 3 {
		t.Fatalf("%d interfaces, want 3", n)
	}
	for i, lt := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL2} {
		in, err := r.Interface(i)
		if err != nil {
			t.Fatal(err)
		}
		if in.LinkType != lt {
			t.Errorf("interface %d: link type %v, want %v", i, in.LinkType, lt)
		}
	}
	if _, err := NewResolNgWriter(&buf, NgInterface{TSResol: 10}); err == nil {
		t.Error("no error for if_tsresol 10")
	}
}

// multiWriter writes each packet to every writer.
type multiWriter []PacketWriter

func (m multiWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	for _, w := range m {
		if err := w.WritePacket(ci, data); err != nil {
			return err
		}
	}
	return nil
}
