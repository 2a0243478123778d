package craft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Raw is a header given as bytes, for protocols gopacket cannot write (AYIYA,
// PPPoE sessions, ERSPAN type III, radiotap as captured, ...). Fix, when set,
// is called with the header and everything after it, once both are in place,
// to fill in lengths.
type Raw struct {
	Type  gopacket.LayerType // what the header is: the EtherType of a tunnel's first header derives from it
	Bytes []byte
	Fix   func(hdr, payload []byte)
}

// LayerType implements gopacket.SerializableLayer.
func (r *Raw) LayerType() gopacket.LayerType { return r.Type }

// SerializeTo implements gopacket.SerializableLayer.
func (r *Raw) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	d, err := b.PrependBytes(len(r.Bytes))
	if err != nil {
		return err
	}
	copy(d, r.Bytes)
	if r.Fix != nil {
		r.Fix(d, b.Bytes()[len(d):])
	}
	return nil
}

// LLCSNAP returns an 802.2 LLC header for SNAP (0xaa 0xaa, unnumbered
// information) and a SNAP header announcing the EtherType proto (RFC 1042).
func LLCSNAP(proto layers.EthernetType) *Raw {
	return &Raw{Type: layers.LayerTypeLLC, Bytes: []byte{0xaa, 0xaa, 0x03, 0, 0, 0, byte(proto >> 8), byte(proto)}}
}

// Dot11Data returns the header of an 802.11 data frame between a station
// (sta) and the host dst behind the access point bssid, then LLC and SNAP for
// proto. toAP says the station sent it (To DS: addresses BSSID, station,
// destination); otherwise the access point relays it to the station (From DS:
// station, BSSID, source). qos makes it a QoS data frame (subtype 8, with a
// QoS control field of 0). seq is the frame's sequence number.
func Dot11Data(toAP, qos bool, sta, dst, bssid net.HardwareAddr, seq uint16, proto layers.EthernetType) *Raw {
	fc := byte(0x08) // type data, subtype data
	if qos {
		fc = 0x88
	}
	h := []byte{fc, 0x02, 0, 0} // From DS
	addrs := [3]net.HardwareAddr{sta, bssid, dst}
	if toAP {
		h[1] = 0x01 // To DS
		addrs = [3]net.HardwareAddr{bssid, sta, dst}
	}
	for _, a := range addrs {
		h = append(h, a...)
	}
	h = binary.LittleEndian.AppendUint16(h, seq<<4)
	if qos {
		h = append(h, 0, 0)
	}
	return &Raw{Type: layers.LayerTypeDot11, Bytes: append(h, LLCSNAP(proto).Bytes...)}
}

// carrier is the EtherType a link header announces for a tunnel whose
// outermost header is of type t.
func carrier(t gopacket.LayerType) (layers.EthernetType, error) {
	switch t {
	case layers.LayerTypeIPv4:
		return layers.EthernetTypeIPv4, nil
	case layers.LayerTypeIPv6:
		return layers.EthernetTypeIPv6, nil
	case layers.LayerTypeMPLS:
		return layers.EthernetTypeMPLSUnicast, nil
	case layers.LayerTypePPPoE:
		return layers.EthernetTypePPPoESession, nil
	}
	return 0, fmt.Errorf("no EtherType for a tunnel starting with %v", t)
}

// tso4 is an IPv4 header whose total length is 0, as TCP segmentation
// offload leaves it for the NIC to fill in; the header checksum covers the 0.
type tso4 struct{ *layers.IPv4 }

func (t tso4) SerializeTo(b gopacket.SerializeBuffer, opts gopacket.SerializeOptions) error {
	if err := t.IPv4.SerializeTo(b, opts); err != nil {
		return err
	}
	h := b.Bytes()[:int(t.IHL)*4]
	h[2], h[3] = 0, 0
	t.Length = 0
	if opts.ComputeChecksums {
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:], ipChecksum(h))
		t.Checksum = binary.BigEndian.Uint16(h[10:])
	}
	return nil
}

// ipChecksum is the Internet checksum (RFC 1071) of b.
func ipChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// fragment4 splits the IPv4 packet ip into fragments whose IP packets are at
// most mtu bytes (RFC 791 section 3.2): each a copy of the header (options
// included) with its offset, more-fragments flag, length and checksum set.
func fragment4(ip []byte, mtu int) ([][]byte, error) {
	ihl := int(ip[0]&0xf) * 4
	chunk := (mtu - ihl) &^ 7
	if chunk <= 0 {
		return nil, fmt.Errorf("mtu %d leaves no room after a %d-byte IPv4 header", mtu, ihl)
	}
	if binary.BigEndian.Uint16(ip[6:])&0x4000 != 0 {
		return nil, errors.New("fragmenting an IPv4 packet with don't-fragment set")
	}
	payload := ip[ihl:]
	var frags [][]byte
	for off := 0; off < len(payload); off += chunk {
		end := min(off+chunk, len(payload))
		f := append(append([]byte(nil), ip[:ihl]...), payload[off:end]...)
		flags := uint16(off / 8)
		if end < len(payload) {
			flags |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		binary.BigEndian.PutUint16(f[6:], flags)
		f[10], f[11] = 0, 0
		binary.BigEndian.PutUint16(f[10:], ipChecksum(f[:ihl]))
		frags = append(frags, f)
	}
	return frags, nil
}

// linkHeader returns the header bytes of the link framings written as Raw:
// for proto, the EtherType of what follows.
func linkHeader(l *Link, proto layers.EthernetType, seq uint16) (*Raw, error) {
	switch l.Framing {
	case CiscoHDLC, CiscoPPP:
		return &Raw{Type: gopacket.LayerTypePayload, Bytes: []byte{0x0f, 0, byte(proto >> 8), byte(proto)}}, nil
	case JuniperEther:
		// "MGC", flags: extensions present, incoming; 6 bytes of
		// extensions, one TLV (type 4, the logical interface's index, 4
		// bytes); then the Ethernet header.
		h := []byte{'M', 'G', 'C', 0x81, 0, 6, 4, 4, 0, 0, 0, 7}
		h = append(append(append(h, l.Dst...), l.Src...), byte(proto>>8), byte(proto))
		return &Raw{Type: gopacket.LayerTypePayload, Bytes: h}, nil
	case ARCNET, ARCNET1051:
		// Source and destination station (the last bytes of the MACs),
		// the offset field Linux keeps, then the protocol ID: RFC 1201's
		// (IPv4 212, IPv6 196) with a split flag of 0 (not fragmented)
		// and a sequence number, or RFC 1051's IPv4 (240).
		src, dst := byte(1), byte(2)
		if len(l.Src) == 6 && len(l.Dst) == 6 {
			src, dst = l.Src[5], l.Dst[5]
		}
		h := []byte{src, dst, 0, 0}
		switch {
		case l.Framing == ARCNET1051 && proto == layers.EthernetTypeIPv4:
			return &Raw{Type: gopacket.LayerTypePayload, Bytes: append(h, 240)}, nil
		case l.Framing == ARCNET && proto == layers.EthernetTypeIPv4:
			h = append(h, 212)
		case l.Framing == ARCNET && proto == layers.EthernetTypeIPv6:
			h = append(h, 196)
		default:
			return nil, fmt.Errorf("%v framing cannot carry EtherType %v", l.Framing, proto)
		}
		return &Raw{Type: gopacket.LayerTypePayload, Bytes: append(h, 0, byte(seq>>8), byte(seq))}, nil
	case PPP, PPPHDLC, PPPoE:
		var p uint16
		switch proto {
		case layers.EthernetTypeIPv4:
			p = 0x0021
		case layers.EthernetTypeIPv6:
			p = 0x0057
		default:
			return nil, fmt.Errorf("%v framing cannot carry EtherType %v", l.Framing, proto)
		}
		if l.Framing != PPPoE {
			return &Raw{Type: gopacket.LayerTypePayload, Bytes: []byte{0xff, 0x03, byte(p >> 8), byte(p)}}, nil
		}
		// Version and type 0x11, code 0 (session data), session 0x1234,
		// the length of the PPP frame (protocol and packet).
		h := []byte{0x11, 0, 0x12, 0x34, 0, 0, byte(p >> 8), byte(p)}
		return &Raw{Type: gopacket.LayerTypePayload, Bytes: h, Fix: func(hdr, payload []byte) {
			binary.BigEndian.PutUint16(hdr[4:], uint16(2+len(payload)))
		}}, nil
	case FDDI:
		h := []byte{0x50} // frame control: asynchronous LLC, priority 0
		h = append(append(h, l.Dst...), l.Src...)
		return &Raw{Type: layers.LayerTypeFDDI, Bytes: append(h, LLCSNAP(proto).Bytes...)}, nil
	case IPoIB:
		// libpcap's 20-byte pseudo-header (zero here), the destination's
		// 20-byte hardware address (a queue pair number and a GID built
		// from its MAC), then the RFC 4391 header: EtherType, reserved.
		h := make([]byte, 44)
		copy(h[20:], []byte{0x00, 0x00, 0x05, 0x50, 0xfe, 0x80})
		copy(h[34:40], l.Dst)
		binary.BigEndian.PutUint16(h[40:], uint16(proto))
		return &Raw{Type: gopacket.LayerTypePayload, Bytes: h}, nil
	case NFLog:
		family := byte(2) // AF_INET
		if proto == layers.EthernetTypeIPv6 {
			family = 10 // AF_INET6
		}
		h := []byte{family, 0, 0, 1} // version 0, resource ID (group) 1, big-endian
		// NFULA_PACKET_HDR: hardware protocol (big-endian), hook, pad.
		h = append(h, 8, 0, 1, 0, byte(proto>>8), byte(proto), 3, 0)
		// NFULA_PREFIX "tcpflow\x00", then the NFULA_PAYLOAD header.
		h = append(h, 12, 0, 10, 0, 't', 'c', 'p', 'f', 'l', 'o', 'w', 0)
		h = append(h, 0, 0, 9, 0)
		return &Raw{Type: gopacket.LayerTypePayload, Bytes: h, Fix: func(hdr, payload []byte) {
			binary.LittleEndian.PutUint16(hdr[len(hdr)-4:], uint16(4+len(payload)))
		}}, nil
	case Dot11, RadioTap:
		if len(l.BSSID) != 6 {
			return nil, fmt.Errorf("%v framing without a BSSID", l.Framing)
		}
		sta, dst := l.Src, l.Dst
		if !l.Outgoing {
			sta, dst = l.Dst, l.Src
		}
		d := Dot11Data(l.Outgoing, l.QoS, sta, dst, l.BSSID, seq, proto)
		if l.Framing == Dot11 {
			return d, nil
		}
		// Radiotap: version 0, length 9, present: flags only.
		flags := byte(0)
		if l.FCS {
			flags = 0x10
		}
		d.Bytes = append([]byte{0, 0, 9, 0, 0x02, 0, 0, 0, flags}, d.Bytes...)
		return d, nil
	}
	return nil, fmt.Errorf("unknown framing %v", l.Framing)
}

// finish applies to a serialized frame what happens after serialization:
// the radiotap FCS, NFLOG's 4-byte alignment, padding and Edit. It returns
// the frame, which may have grown.
func finish(l *Link, data []byte) []byte {
	switch {
	case l.Framing == RadioTap && l.FCS:
		data = binary.LittleEndian.AppendUint32(data, crc32.ChecksumIEEE(data[9:]))
	case l.Framing == NFLog:
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	for len(data) < l.Pad {
		data = append(data, 0)
	}
	if l.Edit != nil {
		l.Edit(data)
	}
	return data
}
