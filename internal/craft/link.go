package craft

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Framing is how a packet is framed below IP.
type Framing uint8

// The framings. Each matches one pcap link type (LinkType); the first three
// share Ethernet's.
const (
	Ethernet Framing = iota // Ethernet II (LINKTYPE_ETHERNET, 1)
	Dot1Q                   // Ethernet with one 802.1Q tag (0x8100)
	QinQ                    // Ethernet with 802.1ad service tag 0x88a8 outside an 802.1Q tag
	SLL                     // Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113)
	SLL2                    // Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276)
	RawIP                   // no link header: IPv4 or IPv6 by the version nibble (LINKTYPE_RAW, 101)
	Null                    // BSD loopback: 4-byte address family in host order (LINKTYPE_NULL, 0)
)

func (f Framing) String() string {
	switch f {
	case Ethernet:
		return "Ethernet"
	case Dot1Q:
		return "802.1Q"
	case QinQ:
		return "QinQ"
	case SLL:
		return "SLL"
	case SLL2:
		return "SLL2"
	case RawIP:
		return "raw IP"
	case Null:
		return "NULL"
	}
	return fmt.Sprintf("Framing(%d)", uint8(f))
}

// LinkType returns the pcap link type of a capture (or pcapng interface)
// whose packets have this framing.
func (f Framing) LinkType() layers.LinkType {
	switch f {
	case SLL:
		return layers.LinkTypeLinuxSLL
	case SLL2:
		return layers.LinkTypeLinuxSLL2
	case RawIP:
		return layers.LinkTypeRaw
	case Null:
		return layers.LinkTypeNull
	}
	return layers.LinkTypeEthernet
}

// A Link says how to frame one packet. The zero value is plain Ethernet on
// interface 0.
type Link struct {
	Framing   Framing
	VLAN      uint16 // 802.1Q VLAN ID (Dot1Q; the inner, customer tag of QinQ)
	OuterVLAN uint16 // 802.1ad service VLAN ID (QinQ)

	// Interface is the pcapng interface index the packet is written on
	// (gopacket.CaptureInfo.InterfaceIndex); classic pcap ignores it.
	Interface int
	IfIndex   uint32 // SLL2: the Linux interface index in the header

	Src, Dst net.HardwareAddr // Ethernet addresses; SLL and SLL2 carry Src
	Outgoing bool             // SLL, SLL2: sent by the capturing host (packet type 4, else 0)
}

// IPv6 address family in a Null header: Darwin's value (30), as on macOS's
// lo0, the most common source of such captures. 2 (AF_INET) is the same on
// every BSD.
const nullAFIPv6 = layers.ProtocolFamilyIPv6Darwin

// sllHeader is a LINKTYPE_LINUX_SLL header. gopacket's layers.LinuxSLL
// decodes but cannot serialize (it has no SerializeTo), so the 16 bytes are
// written here (layout: https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html).
type sllHeader struct {
	packetType uint16
	addr       net.HardwareAddr
	proto      layers.EthernetType
}

func (h *sllHeader) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL }

func (h *sllHeader) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	if len(h.addr) > 8 {
		return fmt.Errorf("sll address %v longer than 8 bytes", h.addr)
	}
	d, err := b.PrependBytes(16)
	if err != nil {
		return err
	}
	clear(d)
	binary.BigEndian.PutUint16(d[0:], h.packetType)
	binary.BigEndian.PutUint16(d[2:], uint16(layers.ARPHardwareTypeEthernet))
	binary.BigEndian.PutUint16(d[4:], uint16(len(h.addr)))
	copy(d[6:14], h.addr)
	binary.BigEndian.PutUint16(d[14:], uint16(h.proto))
	return nil
}

// sll2Header is a LINKTYPE_LINUX_SLL2 header. gopacket's layers.LinuxSLL2
// decodes but cannot serialize (it has no SerializeTo), so the 20 bytes are
// written here (layout: https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html).
type sll2Header struct {
	proto      layers.EthernetType
	ifIndex    uint32
	packetType uint8
	addr       net.HardwareAddr
}

func (h *sll2Header) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL2 }

func (h *sll2Header) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	if len(h.addr) > 8 {
		return fmt.Errorf("sll2 address %v longer than 8 bytes", h.addr)
	}
	d, err := b.PrependBytes(20)
	if err != nil {
		return err
	}
	clear(d)
	binary.BigEndian.PutUint16(d[0:], uint16(h.proto))
	// d[2:4] reserved, zero
	binary.BigEndian.PutUint32(d[4:], h.ifIndex)
	binary.BigEndian.PutUint16(d[8:], uint16(layers.ARPHardwareTypeEthernet))
	d[10] = h.packetType
	d[11] = uint8(len(h.addr))
	copy(d[12:20], h.addr)
	return nil
}

// linkLayers appends the layers that frame a packet of the given EtherType
// to stack, using the Wire's reusable headers.
func (w *Wire) linkLayers(stack []gopacket.SerializableLayer, l *Link, proto layers.EthernetType) ([]gopacket.SerializableLayer, error) {
	switch l.Framing {
	case Ethernet, Dot1Q, QinQ:
		w.eth = layers.Ethernet{SrcMAC: l.Src, DstMAC: l.Dst, EthernetType: proto}
		stack = append(stack, &w.eth)
		switch l.Framing {
		case Dot1Q:
			w.eth.EthernetType = layers.EthernetTypeDot1Q
			w.vlan[0] = layers.Dot1Q{VLANIdentifier: l.VLAN, Type: proto}
			stack = append(stack, &w.vlan[0])
		case QinQ:
			w.eth.EthernetType = layers.EthernetTypeQinQ
			w.vlan[0] = layers.Dot1Q{VLANIdentifier: l.OuterVLAN, Type: layers.EthernetTypeDot1Q}
			w.vlan[1] = layers.Dot1Q{VLANIdentifier: l.VLAN, Type: proto}
			stack = append(stack, &w.vlan[0], &w.vlan[1])
		}
	case SLL:
		w.sll = sllHeader{addr: l.Src, proto: proto}
		if l.Outgoing {
			w.sll.packetType = uint16(layers.LinuxSLLPacketTypeOutgoing)
		}
		stack = append(stack, &w.sll)
	case SLL2:
		w.sll2 = sll2Header{proto: proto, ifIndex: l.IfIndex, addr: l.Src}
		if l.Outgoing {
			w.sll2.packetType = uint8(layers.LinuxSLL2PacketTypeOutgoing)
		}
		stack = append(stack, &w.sll2)
	case RawIP, Null:
		family := layers.ProtocolFamilyIPv4
		switch proto {
		case layers.EthernetTypeIPv4:
		case layers.EthernetTypeIPv6:
			family = nullAFIPv6
		default:
			return nil, fmt.Errorf("%v framing cannot carry EtherType %v", l.Framing, proto)
		}
		if l.Framing == Null {
			// layers.Loopback writes the family little-endian: host order
			// on the x86 and ARM machines such captures come from.
			w.null = layers.Loopback{Family: family}
			stack = append(stack, &w.null)
		}
	default:
		return nil, fmt.Errorf("unknown framing %v", l.Framing)
	}
	return stack, nil
}
