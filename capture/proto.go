package capture

import (
	"github.com/gopacket/gopacket/layers"
)

// proto names the header the decode loop reads next. The loop keys on its own
// names rather than gopacket.LayerType because about half of the headers here
// have no gopacket DecodingLayer (see the parsers in link.go and tunnel.go),
// and a private enum needs no registration in gopacket's global layer table.
type proto uint8

const (
	pOther       proto = iota // nothing tcpflow decodes: not IP (at the link layer) or not TCP (inside IP)
	pUnsupported              // a link type or encapsulation tcpflow does not decode
	pEncrypted                // a payload that is encrypted (802.11 protected frames)
	pLinkFrag                 // an 802.11 fragment (not reassembled)
	pRawIP                    // IPv4 or IPv6, by the version nibble

	pEthernet
	pDot1Q
	pLLC // IEEE 802.2 LLC, often followed by SNAP
	pSNAP
	pSLL
	pSLL2
	pLoop
	pCHDLC
	pFDDI
	pIPoIB
	pNFLog
	pRadioTap
	pDot11     // an 802.11 frame without FCS
	pDot11FCS  // an 802.11 frame with a 4-byte FCS at its end
	pDot11Pad  // an 802.11 frame whose header is padded to 4 bytes (radiotap's datapad flag)
	pDot11FPad // both of the above
	pPPPoE
	pPPP // a PPP protocol field, compressed or not, maybe after HDLC address and control bytes
	pMPLS
	pMPLSPayload // what follows the bottom MPLS label, when the label does not say
	pPWEth       // an Ethernet pseudowire after MPLS: control word or not

	pIPv4
	pIPv6
	pIPv6Ext
	pIPv6Frag
	pICMPv4
	pICMPv6
	pUDP
	pGRE
	pERSPAN // the ERSPAN header of type II or III (its version says which)
	pVXLAN
	pVXLANGPE
	pGeneve
	pGTPU
	pAYIYA
	pTeredo
	pWCCP    // what follows GRE protocol 0x883e: a WCCP v2 redirect header, or the packet itself (v1)
	pARCNET  // a Linux ARCNET header (LINKTYPE_ARCNET_LINUX)
	pJuniper // a Juniper capture header (LINKTYPE_JUNIPER_ETHER)
	pTCP
)

// headerParsers read the headers that need nothing but their bytes: each
// returns the header's length and what follows it, or errShort when the
// bytes end inside the header (the parsers are in link.go and tunnel.go,
// each with the reason it is read by hand). The decode loop calls them for
// every kind its own cases do not handle, so a new such header needs only
// its parser here.
var headerParsers = [...]func([]byte) (int, proto, error){
	pSLL: parseSLL, pSLL2: parseSLL2, pCHDLC: parseCHDLC, pFDDI: parseFDDI, pIPoIB: parseIPoIB,
	pRadioTap: parseRadioTap, pPPP: parsePPP, pMPLS: parseMPLS, pPWEth: parsePWEth, pWCCP: parseWCCP,
	pARCNET: parseARCNET, pJuniper: parseJuniper, pVXLANGPE: parseVXLANGPE, pGeneve: parseGeneve,
	pAYIYA: parseAYIYA, pTeredo: parseTeredo,
	pTCP: nil, // decoded by its case; sizes the table to every kind
}

// etherProto maps an EtherType, as Ethernet, 802.1Q, SNAP, SLL, GRE, Geneve
// and Cisco HDLC carry it, to the header it announces. Values below 0x0600
// are 802.3 lengths: an LLC header follows (gopacket reports them as
// EthernetTypeLLC, 0).
func etherProto(t layers.EthernetType) proto {
	switch t {
	case layers.EthernetTypeIPv4:
		return pIPv4
	case layers.EthernetTypeIPv6:
		return pIPv6
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, 0x9100: // 0x9100: pre-802.1ad QinQ, as Wireshark decodes it
		return pDot1Q
	case layers.EthernetTypePPPoESession:
		return pPPPoE
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return pMPLS
	case layers.EthernetTypeTransparentEthernetBridging:
		return pEthernet
	}
	if t < 0x0600 {
		return pLLC
	}
	return pOther
}

// greProto maps a GRE protocol type to the header it announces. Besides
// EtherTypes, GRE carries ERSPAN (0x88be types I and II, 0x22eb type III),
// PPP (0x880b, PPTP's enhanced GRE), packets a router redirects to a web
// cache (0x883e, WCCP) and the 802.11 frames of Aruba access
// points (0x8200 to 0x8370 in steps of 0x10, and 0x9000), as Wireshark's GRE
// dissector lists them.
func greProto(t layers.EthernetType, seq bool) proto {
	switch {
	case t == layers.EthernetTypeERSPAN:
		if !seq {
			return pEthernet // type I: no ERSPAN header, told apart by the absent GRE sequence number
		}
		return pERSPAN
	case t == 0x22eb:
		return pERSPAN
	case t == 0x880b:
		return pPPP
	case t == 0x883e:
		return pWCCP
	case t >= 0x8200 && t <= 0x8370 && t&0xf == 0, t == 0x9000:
		return pDot11
	}
	return etherProto(t)
}

// ipProto maps an IP protocol number (IPv4 protocol, IPv6 next header) to
// the header that follows.
func ipProto(p layers.IPProtocol) proto {
	switch p {
	case layers.IPProtocolTCP:
		return pTCP
	case layers.IPProtocolUDP:
		return pUDP
	case layers.IPProtocolIPv4:
		return pIPv4
	case layers.IPProtocolIPv6:
		return pIPv6
	case layers.IPProtocolGRE:
		return pGRE
	case layers.IPProtocolICMPv4:
		return pICMPv4
	case layers.IPProtocolICMPv6:
		return pICMPv6
	case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination:
		return pIPv6Ext
	case layers.IPProtocolIPv6Fragment:
		return pIPv6Frag
	case layers.IPProtocolMPLSInIP:
		return pMPLS
	}
	return pOther
}

// UDP ports of the tunnels Wireshark decodes by default, as registered by
// its dissectors (udp.port): the payload is the tunnel's header.
const (
	portGTPU     = 2152 // GTP-U, 3GPP TS 29.281
	portTeredo   = 3544 // Teredo, RFC 4380
	portGREUDP   = 4754 // GRE-in-UDP, RFC 8086
	portVXLAN    = 4789 // VXLAN, RFC 7348
	portVXLANGPE = 4790 // VXLAN-GPE, draft-ietf-nvo3-vxlan-gpe
	portAYIYA    = 5072 // AYIYA (SixXS "anything in anything")
	portGeneve   = 6081 // Geneve, RFC 8926
	portMPLSUDP  = 6635 // MPLS-in-UDP, RFC 7510
)

func tunnelPort(port uint16) proto {
	switch port {
	case portGTPU:
		return pGTPU
	case portTeredo:
		return pTeredo
	case portGREUDP:
		return pGRE
	case portVXLAN:
		return pVXLAN
	case portVXLANGPE:
		return pVXLANGPE
	case portAYIYA:
		return pAYIYA
	case portGeneve:
		return pGeneve
	case portMPLSUDP:
		return pMPLS
	}
	return pOther
}

// udpTunnel says which tunnel a UDP datagram between the two ports carries,
// if any. Like Wireshark, it tries the lower port first; a lower port below
// 1024 that is no tunnel's is taken to name the datagram's protocol (DNS,
// NTP, ...), so the higher port is not tried: Wireshark would hand the
// datagram to that protocol's dissector.
func udpTunnel(src, dst uint16) proto {
	lo, hi := min(src, dst), max(src, dst)
	if p := tunnelPort(lo); p != pOther || lo < 1024 {
		return p
	}
	return tunnelPort(hi)
}
