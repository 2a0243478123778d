package capture

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Link types that gopacket has no constant for.
const (
	linkTypeNFLog layers.LinkType = 239 // LINKTYPE_NFLOG: Linux netfilter log messages
	linkTypeIPoIB layers.LinkType = 242 // LINKTYPE_IPOIB: IP over InfiniBand, RFC 4391
	// LINKTYPE_ARCNET_LINUX: ARCNET as Linux captures it, with a 2-byte
	// offset field between the addresses and the protocol ID.
	linkTypeARCNETLinux layers.LinkType = 129
	// LINKTYPE_JUNIPER_ETHER: Ethernet frames captured on a Juniper router
	// (Junos "monitor traffic ... write-file"), each after a Juniper header.
	linkTypeJuniperEther layers.LinkType = 178
)

// firstProto maps a pcap link type to the header its frames start with.
func firstProto(link layers.LinkType) proto {
	switch link {
	case layers.LinkTypeEthernet:
		return pEthernet
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return pLoop
	case layers.LinkTypeLinuxSLL:
		return pSLL
	case layers.LinkTypeLinuxSLL2:
		return pSLL2
	case layers.LinkTypeRaw, 12, 14: // 12 and 14 are RAW on OpenBSD and some pcapng writers
		return pRawIP
	case layers.LinkTypeIPv4:
		return pIPv4
	case layers.LinkTypeIPv6:
		return pIPv6
	case layers.LinkTypeC_HDLC:
		return pCHDLC
	case layers.LinkTypeFDDI:
		return pFDDI
	case linkTypeIPoIB:
		return pIPoIB
	case linkTypeNFLog:
		return pNFLog
	case layers.LinkTypeIEEE802_11:
		// Wireshark assumes no FCS on this link type unless told otherwise
		// (its "Assume packets have FCS" preference is off by default).
		return pDot11
	case layers.LinkTypeIEEE80211Radio:
		return pRadioTap
	case layers.LinkTypePPP, layers.LinkTypePPP_HDLC:
		// PPP, with or without the HDLC-like address and control bytes
		// (parsePPP tells); PPP_HDLC may also hold Cisco's framing (linkProto).
		return pPPP
	case layers.LinkTypePPPEthernet:
		return pPPPoE
	case linkTypeARCNETLinux:
		return pARCNET
	case linkTypeJuniperEther:
		return pJuniper
	}
	return pUnsupported
}

// linkProto is firstProto for a frame whose first bytes are known: a
// LINKTYPE_PPP_HDLC frame starting with 0x0f or 0x8f is Cisco PPP with HDLC
// framing (RFC 1547 section 4.3.1: address, control 0, EtherType), read as
// Cisco HDLC; with 0xff it is PPP in HDLC-like framing (RFC 1662).
func linkProto(link layers.LinkType, data []byte) proto {
	if link == layers.LinkTypePPP_HDLC && len(data) > 0 && (data[0] == 0x0f || data[0] == 0x8f) {
		return pCHDLC
	}
	return firstProto(link)
}

// The link-layer headers below are read by hand, each for a reason given
// with it; every parser returns the header's length and what follows it, or
// errShort when the bytes end inside the header.

// parseSLL reads a Linux cooked capture v1 header (16 bytes,
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html). gopacket's
// layers.LinuxSLL rejects a link-layer address length above 8, but the
// address field is 8 bytes whatever the length says and Wireshark decodes
// such frames (the length is the device's, e.g. 20 for InfiniBand).
func parseSLL(b []byte) (int, proto, error) {
	if len(b) < 16 {
		return 0, 0, errShort
	}
	return 16, sllProto(be16(b[2:]), be16(b[14:])), nil
}

// parseSLL2 reads a Linux cooked capture v2 header (20 bytes); by hand for
// the same reason as parseSLL.
func parseSLL2(b []byte) (int, proto, error) {
	if len(b) < 20 {
		return 0, 0, errShort
	}
	return 20, sllProto(be16(b[8:]), be16(b[0:])), nil
}

// sllProto is what an SLL header's ARPHRD type and protocol announce.
// Protocol 4 is an 802.2 LLC frame and other values below 0x0600 are not
// EtherTypes (CAN, raw 802.3, ...).
func sllProto(hatype, protocol uint16) proto {
	switch {
	case hatype == 803: // ARPHRD_IEEE80211_RADIOTAP: a monitor-mode interface
		return pRadioTap
	case protocol == 4:
		return pLLC
	case protocol < 0x0600:
		return pOther
	}
	return etherProto(layers.EthernetType(protocol))
}

// parseCHDLC reads a Cisco HDLC header: address (0x0f unicast, 0x8f
// broadcast), control (0) and an EtherType. gopacket has no layer for it.
func parseCHDLC(b []byte) (int, proto, error) {
	if len(b) < 4 {
		return 0, 0, errShort
	}
	return 4, etherProto(layers.EthernetType(be16(b[2:]))), nil
}

// parseFDDI reads an FDDI header: frame control, destination and source
// addresses (13 bytes). Only LLC frames (frame control 0x50-0x57
// asynchronous, 0xd0-0xd7 synchronous) carry data; an 802.2 LLC header
// follows. gopacket's layers.FDDI is not a DecodingLayer.
func parseFDDI(b []byte) (int, proto, error) {
	if len(b) < 13 {
		return 0, 0, errShort
	}
	if b[0]&^0x87 != 0x50 { // 0x50-0x57 or 0xd0-0xd7: the LLC frame classes
		return 13, pOther, nil
	}
	return 13, pLLC, nil
}

// parseIPoIB reads the 44-byte header of LINKTYPE_IPOIB: a 20-byte
// pseudo-header, the 20-byte destination hardware address, then the RFC 4391
// encapsulation header, an EtherType and 2 reserved bytes. gopacket has no
// layer for it.
func parseIPoIB(b []byte) (int, proto, error) {
	if len(b) < 44 {
		return 0, 0, errShort
	}
	return 44, etherProto(layers.EthernetType(be16(b[40:]))), nil
}

// nflogPayload is the NFULA_PAYLOAD attribute type: the logged packet.
const nflogPayload = 9

// parseNFLog reads LINKTYPE_NFLOG: a 4-byte header (address family,
// version, resource ID) and type-length-value attributes, each padded to 4
// bytes, whose length and type are in the byte order of the host that
// captured them (https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html). It
// returns the offset and length of the payload attribute's value, the logged
// IP packet (IPv4 for family 2, IPv6 for 10, as Wireshark decodes them).
// gopacket has no layer for it. The byte order is guessed from the first
// attribute: the order in which its length fits the frame.
func parseNFLog(b []byte) (off, n int, next proto, err error) {
	if len(b) < 4 {
		return 0, 0, 0, errShort
	}
	switch b[0] {
	case 2:
		next = pIPv4
	case 10:
		next = pIPv6
	default:
		next = pOther
	}
	order := binary.ByteOrder(binary.LittleEndian)
	for off = 4; off+4 <= len(b); {
		if off == 4 {
			if l := int(order.Uint16(b[off:])); l < 4 || off+l > len(b) {
				order = binary.BigEndian
			}
		}
		l, typ := int(order.Uint16(b[off:])), order.Uint16(b[off+2:])&0x7fff // the top bits are flags
		if l < 4 {
			return 0, 0, 0, errMalformed
		}
		if typ == nflogPayload {
			return off + 4, l - 4, next, nil
		}
		off += (l + 3) &^ 3
	}
	if off < len(b) {
		return 0, 0, 0, errShort
	}
	return len(b), 0, pOther, nil // no payload attribute: nothing was logged of the packet
}

// Radiotap flags (the field present when bit 1 of the present word is set).
const (
	radiotapFCS     = 0x10 // the 802.11 frame ends with a 4-byte FCS
	radiotapDatapad = 0x20 // the 802.11 header is padded to a multiple of 4 bytes
)

// parseRadioTap reads a radiotap header (https://www.radiotap.org): version,
// pad, length, present words. It returns the header length and the 802.11
// variant its flags field announces. gopacket's layers.RadioTap allocates on
// every frame and, for the datapad flag, moves bytes within the frame; here
// only the flags field is read: it follows the present words and the TSFT
// field (8 bytes, 8-aligned) when that is present.
func parseRadioTap(b []byte) (int, proto, error) {
	if len(b) < 8 {
		return 0, 0, errShort
	}
	n := int(binary.LittleEndian.Uint16(b[2:]))
	if n < 8 {
		return 0, 0, errMalformed
	}
	if len(b) < n {
		return 0, 0, errShort
	}
	present := binary.LittleEndian.Uint32(b[4:])
	off := 8
	for p := present; p&(1<<31) != 0; off += 4 { // extended present words
		if off+4 > n {
			return 0, 0, errMalformed
		}
		p = binary.LittleEndian.Uint32(b[off:])
	}
	var flags byte
	if present&2 != 0 {
		if present&1 != 0 {
			off = (off+7)&^7 + 8
		}
		if off >= n {
			return 0, 0, errMalformed
		}
		flags = b[off]
	}
	next := pDot11
	switch flags & (radiotapFCS | radiotapDatapad) {
	case radiotapFCS:
		next = pDot11FCS
	case radiotapDatapad:
		next = pDot11Pad
	case radiotapFCS | radiotapDatapad:
		next = pDot11FPad
	}
	return n, next, nil
}

// dot11Body reads an 802.11 MAC header (IEEE 802.11-2020 9.2) and says where
// the body of a data frame starts: after the three addresses and sequence
// control, a fourth address when both To DS and From DS are set, the QoS
// control field of QoS subtypes, and the HT control field when the +HTC
// (order) flag is set on a QoS frame. pad rounds the header up to 4 bytes.
// Frames that carry no data (management, control, null data), encrypted
// frames, fragments and A-MSDUs yield no packet. gopacket's layers.Dot11
// allocates a data layer on every frame and always takes the last 4 bytes
// for an FCS.
func dot11Body(b []byte, pad bool) (int, proto, error) {
	if len(b) < 2 {
		return 0, 0, errShort
	}
	typ, subtype, flags := b[0]>>2&3, b[0]>>4, b[1]
	if typ != 2 || subtype&4 != 0 { // not data, or a subtype without a body
		return 0, pOther, nil
	}
	n := 24
	if flags&3 == 3 {
		n += 6
	}
	qos := subtype&8 != 0
	qosAt := n // where the QoS control field is, when there is one
	if qos {
		n += 2
		if flags&0x80 != 0 {
			n += 4
		}
	}
	if len(b) < n {
		return 0, 0, errShort
	}
	if pad {
		n = (n + 3) &^ 3
	}
	switch {
	case flags&0x40 != 0:
		return n, pEncrypted, nil
	case flags&4 != 0 || binary.LittleEndian.Uint16(b[22:])&0xf != 0: // more fragments, or not the first
		return n, pLinkFrag, nil
	case qos && b[qosAt]&0x80 != 0: // A-MSDU: several packets, each with its own header
		return n, pUnsupported, nil
	}
	return n, pLLC, nil
}

// llcProto says what follows an 802.2 LLC header: SNAP for SAP 0xaa, IPv4
// for SAP 6 (RFC 791's SAP, as Wireshark decodes it).
func llcProto(l *layers.LLC) proto {
	switch {
	case l.DSAP == 0xaa && l.SSAP == 0xaa:
		return pSNAP
	case l.DSAP == 6 && l.SSAP == 6:
		return pIPv4
	}
	return pOther
}

// snapProto says what follows a SNAP header: an EtherType when the
// organization code is 0 (RFC 1042) or 0x0000f8 (802.1H bridge tunnel).
func snapProto(s *layers.SNAP) proto {
	oui := s.OrganizationalCode
	if oui[0] != 0 || oui[1] != 0 || (oui[2] != 0 && oui[2] != 0xf8) {
		return pOther
	}
	return etherProto(s.Type)
}

// loopProto is what a BSD loopback header's address family announces.
func loopProto(l *layers.Loopback) proto {
	switch l.Family.LayerType() {
	case layers.LayerTypeIPv4:
		return pIPv4
	case layers.LayerTypeIPv6:
		return pIPv6
	}
	return pOther
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// parseARCNET reads a Linux ARCNET header (LINKTYPE_ARCNET_LINUX; gopacket
// has no ARCNET layer): source and destination station, a 2-byte offset,
// the protocol ID. RFC 1051's IDs (240 IPv4, 241 ARP) end the header there;
// RFC 1201's (212 IPv4, 196 IPv6, 213 ARP, ...) add a split flag and a
// 2-byte sequence number, and an exception packet (split flag 0xff) 4 more
// bytes that repeat the protocol ID and split flag. A packet split into
// several frames (another split flag) is a link-layer fragment, not
// reassembled.
func parseARCNET(b []byte) (int, proto, error) {
	if len(b) < 5 {
		return 0, 0, errShort
	}
	switch b[4] {
	case 240:
		return 5, pIPv4, nil
	case 241, 0x80: // RFC 1051 ARP; diagnostics
		return 5, pOther, nil
	}
	if len(b) < 8 {
		return 0, 0, errShort
	}
	n, id, split := 8, b[4], b[5]
	if split == 0xff {
		if len(b) < 12 {
			return 0, 0, errShort
		}
		n, id, split = 12, b[8], b[9]
	}
	var next proto
	switch id {
	case 212:
		next = pIPv4
	case 196:
		next = pIPv6
	default:
		return n, pOther, nil
	}
	if split != 0 {
		return n, pLinkFrag, nil
	}
	return n, next, nil
}

// parseJuniper reads the header Junos puts before each captured frame
// (LINKTYPE_JUNIPER_ETHER; gopacket has no layer for it): the magic "MGC",
// a flags byte, then, with flag 0x80, a 2-byte length and that many bytes
// of extension TLVs (interface name, index, media type). With flag 0x02
// (no layer 2) 4 bytes follow and the IP packet itself; otherwise an
// Ethernet frame.
func parseJuniper(b []byte) (int, proto, error) {
	if len(b) < 4 {
		return 0, 0, errShort
	}
	if b[0] != 'M' || b[1] != 'G' || b[2] != 'C' {
		return 0, 0, errMalformed
	}
	flags, n := b[3], 4
	if flags&0x80 != 0 {
		if len(b) < n+2 {
			return 0, 0, errShort
		}
		n += 2 + int(be16(b[n:]))
	}
	next := pEthernet
	if flags&0x02 != 0 {
		n, next = n+4, pRawIP
	}
	if len(b) < n {
		return 0, 0, errShort
	}
	return n, next, nil
}
