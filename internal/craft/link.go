package craft

import (
	"cmp"
	"encoding/binary"
	"errors"
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
	Ethernet     Framing = iota // Ethernet II (LINKTYPE_ETHERNET, 1)
	Dot1Q                       // Ethernet with one 802.1Q tag (0x8100)
	QinQ                        // Ethernet with 802.1ad service tag 0x88a8 outside an 802.1Q tag
	SLL                         // Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113)
	SLL2                        // Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276)
	RawIP                       // no link header: IPv4 or IPv6 by the version nibble (LINKTYPE_RAW, 101)
	Null                        // BSD loopback: 4-byte address family in host order (LINKTYPE_NULL, 0)
	EthernetLLC                 // IEEE 802.3: a length instead of an EtherType, then LLC and SNAP (LINKTYPE_ETHERNET)
	CiscoHDLC                   // Cisco HDLC: address, control, EtherType (LINKTYPE_C_HDLC, 104)
	FDDI                        // FDDI: frame control, addresses, then LLC and SNAP (LINKTYPE_FDDI, 10)
	IPoIB                       // IP over InfiniBand, RFC 4391, with libpcap's 40-byte pseudo-header (LINKTYPE_IPOIB, 242)
	NFLog                       // Linux netfilter log messages, attributes little-endian (LINKTYPE_NFLOG, 239)
	Dot11                       // IEEE 802.11 data frames without FCS, then LLC and SNAP (LINKTYPE_IEEE802_11, 105)
	RadioTap                    // radiotap, then 802.11 as Dot11 (LINKTYPE_IEEE802_11_RADIOTAP, 127)
	PPP                         // PPP in HDLC-like framing, RFC 1662: 0xff, 0x03, protocol (LINKTYPE_PPP, 9)
	PPPHDLC                     // the same bytes as PPP (LINKTYPE_PPP_HDLC, 50)
	CiscoPPP                    // Cisco PPP with HDLC framing, RFC 1547 section 4.3.1: 0x0f, 0x00, EtherType (LINKTYPE_PPP_HDLC, 50)
	PPPoE                       // a PPPoE session header, RFC 2516, then the PPP protocol (LINKTYPE_PPP_ETHER, 51)
	ARCNET                      // Linux ARCNET, RFC 1201 header: addresses, offset, protocol, split flag, sequence (LINKTYPE_ARCNET_LINUX, 129)
	ARCNET1051                  // Linux ARCNET, RFC 1051 header: addresses, offset, protocol (LINKTYPE_ARCNET_LINUX, 129)
	JuniperEther                // Junos' capture header with an extension TLV, then Ethernet (LINKTYPE_JUNIPER_ETHER, 178)
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
	case EthernetLLC:
		return "802.3 LLC"
	case CiscoHDLC:
		return "Cisco HDLC"
	case FDDI:
		return "FDDI"
	case IPoIB:
		return "IPoIB"
	case NFLog:
		return "NFLOG"
	case Dot11:
		return "802.11"
	case RadioTap:
		return "radiotap"
	case PPP:
		return "PPP"
	case PPPHDLC:
		return "PPP HDLC"
	case CiscoPPP:
		return "Cisco PPP"
	case PPPoE:
		return "PPPoE"
	case ARCNET:
		return "ARCNET"
	case ARCNET1051:
		return "ARCNET RFC 1051"
	case JuniperEther:
		return "Juniper Ethernet"
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
	case CiscoHDLC:
		return layers.LinkTypeC_HDLC
	case FDDI:
		return layers.LinkTypeFDDI
	case IPoIB:
		return 242
	case NFLog:
		return 239
	case Dot11:
		return layers.LinkTypeIEEE802_11
	case RadioTap:
		return layers.LinkTypeIEEE80211Radio
	case PPP:
		return layers.LinkTypePPP
	case PPPHDLC, CiscoPPP:
		return layers.LinkTypePPP_HDLC
	case PPPoE:
		return layers.LinkTypePPPEthernet
	case ARCNET, ARCNET1051:
		return 129
	case JuniperEther:
		return 178
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

	// SLLAddrLen, when set, is the link-layer address length an SLL or
	// SLL2 header claims, whatever the address (the field stays 8 bytes):
	// Linux writes 20 for an InfiniBand device.
	SLLAddrLen int
	// BSSID is the access point of an 802.11 frame (Dot11, RadioTap): the
	// client's frames go to it (To DS), the server's come from it (From DS).
	BSSID net.HardwareAddr
	// QoS makes 802.11 frames QoS data frames, with a QoS control field.
	QoS bool
	// FCS ends a RadioTap frame with the 802.11 frame check sequence, and
	// says so in the radiotap flags.
	FCS bool

	// Tunnel, when set, carries the packet inside other headers: it returns
	// them for one packet, outermost first, from the tunnel's outer network
	// header (or MPLS or PPPoE header) to the inner link header if there is
	// one; outgoing says the client sent the packet, inner is the EtherType
	// of the packet (IPv4 or IPv6). The first header's type picks the
	// EtherType of the link header (IPv4, IPv6, MPLS, PPPoE). The layers are
	// serialized with lengths and checksums fixed; Raw serves for headers
	// gopacket cannot write.
	Tunnel func(outgoing bool, inner layers.EthernetType) []gopacket.SerializableLayer
	// MTU, when positive, sends an IPv4 packet longer than MTU bytes (the
	// outermost one, after the link header) in fragments of at most MTU
	// bytes, as a router on the way would.
	MTU int
	// TSO writes 0 into the IPv4 total length, as a capture taken before
	// TCP segmentation offload shows: the NIC fills it in. Segments may
	// then be longer than 65535 bytes.
	TSO bool
	// Pad appends zero bytes to frames shorter than Pad bytes, as Ethernet
	// pads frames to its 60-byte minimum; a larger value stands for a
	// trailer after the packet.
	Pad int
	// Snap, when positive, cuts this packet to Snap bytes as a snap length
	// would (the record keeps the wire length).
	Snap int
	// Edit, when set, is given the serialized frame before it is captured,
	// to make it malformed.
	Edit func(frame []byte)
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
	addrLen    int // the length field, when not len(addr)
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
	binary.BigEndian.PutUint16(d[4:], uint16(cmp.Or(h.addrLen, len(h.addr))))
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
	addrLen    int // the length field, when not len(addr)
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
	d[11] = uint8(cmp.Or(h.addrLen, len(h.addr)))
	copy(d[12:20], h.addr)
	return nil
}

// linkLayers appends the layers that frame a packet of the given EtherType
// to stack, using the Wire's reusable headers, then the Link's tunnel
// headers if it has a Tunnel.
func (w *Wire) linkLayers(stack []gopacket.SerializableLayer, l *Link, proto layers.EthernetType) ([]gopacket.SerializableLayer, error) {
	var tunnel []gopacket.SerializableLayer
	if l.Tunnel != nil {
		if tunnel = l.Tunnel(l.Outgoing, proto); len(tunnel) == 0 {
			return nil, errors.New("tunnel without headers")
		}
		var err error
		if proto, err = carrier(tunnel[0].LayerType()); err != nil {
			return nil, err
		}
	}
	stack, err := w.framing(stack, l, proto)
	if err != nil {
		return nil, err
	}
	return append(stack, tunnel...), nil
}

// framing appends the link header of a packet of the given EtherType.
func (w *Wire) framing(stack []gopacket.SerializableLayer, l *Link, proto layers.EthernetType) ([]gopacket.SerializableLayer, error) {
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
		w.sll = sllHeader{addr: l.Src, addrLen: l.SLLAddrLen, proto: proto}
		if l.Outgoing {
			w.sll.packetType = uint16(layers.LinuxSLLPacketTypeOutgoing)
		}
		stack = append(stack, &w.sll)
	case SLL2:
		w.sll2 = sll2Header{proto: proto, ifIndex: l.IfIndex, addr: l.Src, addrLen: l.SLLAddrLen}
		if l.Outgoing {
			w.sll2.packetType = uint8(layers.LinuxSLL2PacketTypeOutgoing)
		}
		stack = append(stack, &w.sll2)
	case EthernetLLC:
		w.eth = layers.Ethernet{SrcMAC: l.Src, DstMAC: l.Dst, EthernetType: layers.EthernetTypeLLC}
		stack = append(stack, &w.eth, LLCSNAP(proto))
	case CiscoHDLC, FDDI, IPoIB, NFLog, Dot11, RadioTap, PPP, PPPHDLC, CiscoPPP, PPPoE, ARCNET, ARCNET1051, JuniperEther:
		h, err := linkHeader(l, proto, uint16(w.frames+1))
		if err != nil {
			return nil, err
		}
		stack = append(stack, h)
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
