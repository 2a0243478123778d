package capture

import (
	"github.com/gopacket/gopacket/layers"
)

// The tunnel headers below are read by hand because gopacket has no
// DecodingLayer for them (MPLS, PPPoE and PPP are decoded only through
// gopacket.Packet; AYIYA, Teredo and VXLAN-GPE not at all), or its layer
// allocates on every packet (layers.Geneve for each option, layers.GTPv1U
// for each extension header) or refuses packets Wireshark decodes
// (layers.GTPv1U when the snap length cut the packet). Each parser returns
// the header's length and what follows it, or errShort when the bytes end
// inside the header.

// parseMPLS reads an MPLS label stack (RFC 3032) down to the entry with the
// bottom-of-stack bit. The explicit-null labels say what follows (0 IPv4, 2
// IPv6); otherwise the payload's first nibble decides, as in Wireshark.
func parseMPLS(b []byte) (int, proto, error) {
	for n := 0; ; n += 4 {
		if len(b) < n+4 {
			return 0, 0, errShort
		}
		e := be32(b[n:])
		if e&0x100 == 0 {
			continue
		}
		switch e >> 12 {
		case 0:
			return n + 4, pIPv4, nil
		case 2:
			return n + 4, pIPv6, nil
		}
		return n + 4, pMPLSPayload, nil
	}
}

// mplsPayload guesses what follows a label stack from the first nibble, as
// Wireshark's MPLS dissector does when no label is configured: 4 is IPv4, 6
// IPv6, 0 an Ethernet pseudowire (RFC 4448).
func mplsPayload(b []byte) proto {
	if len(b) == 0 {
		return pOther
	}
	switch b[0] >> 4 {
	case 4:
		return pIPv4
	case 6:
		return pIPv6
	case 0:
		return pPWEth
	}
	return pOther
}

// parsePWEth tells an Ethernet pseudowire with a 4-byte control word (whose
// first nibble is 0) from one without. Wireshark looks up the two MAC
// addresses' vendors to decide; tcpflow takes the frame as plain Ethernet
// when an EtherType it decodes sits where plain Ethernet has it, else as
// control word and Ethernet when one sits 4 bytes further.
func parsePWEth(b []byte) (int, proto, error) {
	decodable := func(off int) bool {
		if len(b) < off+14 {
			return false
		}
		p := etherProto(layers.EthernetType(be16(b[off+12:])))
		return p != pOther && p != pLLC
	}
	switch {
	case decodable(0):
		return 0, pEthernet, nil
	case decodable(4):
		return 4, pEthernet, nil
	case len(b) < 18:
		return 0, 0, errShort
	}
	return 0, pOther, nil
}

// parsePPPoE reads a PPPoE header (RFC 2516: version and type 0x11, code,
// session ID, length) and returns the length of the PPP frame a session
// packet (code 0) announces; a discovery packet (another code: PADI, PADO,
// ..., which LINKTYPE_PPP_ETHER captures hold too) carries no packet.
func parsePPPoE(b []byte) (hdr, length int, next proto, err error) {
	if len(b) < 6 {
		return 0, 0, 0, errShort
	}
	if b[0] != 0x11 {
		return 0, 0, 0, errMalformed
	}
	if b[1] != 0 {
		return 6, 0, pOther, nil
	}
	return 6, int(be16(b[4:])), pPPP, nil
}

// parsePPP reads a PPP header (RFC 1661): the address and control bytes
// 0xff 0x03 when they are there (PPTP's GRE keeps them, PPPoE drops them),
// then the protocol field, one byte when compressed (RFC 1661 section 6.5:
// an odd first byte) or two.
func parsePPP(b []byte) (int, proto, error) {
	n := 0
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		n = 2
	}
	if len(b) < n+1 {
		return 0, 0, errShort
	}
	p := uint16(b[n])
	if p&1 == 1 {
		n++
	} else {
		if len(b) < n+2 {
			return 0, 0, errShort
		}
		p = be16(b[n:])
		n += 2
	}
	switch p {
	case 0x0021:
		return n, pIPv4, nil
	case 0x0057:
		return n, pIPv6, nil
	case 0x0281, 0x0283:
		return n, pMPLS, nil
	}
	return n, pOther, nil
}

// parseGTPU reads a GTPv1-U header (3GPP TS 29.281 section 5): flags,
// message type, length (of what follows the first 8 bytes), TEID; then the
// sequence number, N-PDU number and next-extension-type bytes when any of
// the E, S and PN flags is set, and the chain of extension headers. Only a
// T-PDU (message type 255) carries a packet, IPv4 or IPv6 by its version
// nibble. total is 8 + the length field: the end of the GTP packet.
func parseGTPU(b []byte) (hdr, total int, next proto, err error) {
	if len(b) < 8 {
		return 0, 0, 0, errShort
	}
	if b[0]>>5 != 1 || b[0]&0x10 == 0 { // version 1, protocol type GTP
		return 0, 0, 0, errMalformed
	}
	total = 8 + int(be16(b[2:]))
	if b[1] != 255 {
		return 8, total, pOther, nil
	}
	n := 8
	if b[0]&7 != 0 {
		if len(b) < 12 {
			return 0, 0, 0, errShort
		}
		n = 12
		for ext := b[11]; ext != 0; {
			if len(b) < n+1 {
				return 0, 0, 0, errShort
			}
			l := int(b[n]) * 4 // in units of 4 bytes, the length and next-type bytes included
			if l == 0 {
				return 0, 0, 0, errMalformed
			}
			if len(b) < n+l {
				return 0, 0, 0, errShort
			}
			n += l
			ext = b[n-1]
		}
	}
	if len(b) == n {
		return n, total, pOther, nil
	}
	switch b[n] >> 4 {
	case 4:
		return n, total, pIPv4, nil
	case 6:
		return n, total, pIPv6, nil
	}
	return n, total, pOther, nil
}

// parseAYIYA reads an AYIYA header: identity length (a power of two) and
// type, signature length (in 4-byte words) and hash method, authentication
// method and opcode, next header, epoch, then the identity and the
// signature. Only the forward opcode (1) carries a packet, whose type the
// next-header field gives as an IP protocol number; Wireshark decodes it so.
func parseAYIYA(b []byte) (int, proto, error) {
	if len(b) < 8 {
		return 0, 0, errShort
	}
	n := 8 + 1<<(b[0]>>4) + int(b[1]>>4)*4
	if len(b) < n {
		return 0, 0, errShort
	}
	if b[2]&0xf != 1 {
		return n, pOther, nil
	}
	switch p := ipProto(layers.IPProtocol(b[3])); p {
	case pIPv4, pIPv6:
		return n, p, nil
	}
	return n, pOther, nil
}

// parseTeredo reads what precedes the IPv6 packet in a Teredo datagram (RFC
// 4380 section 5.1.1): an optional authentication indicator (type 0x0001,
// client ID and authentication value lengths, then those and 9 more bytes)
// and an optional origin indication (type 0x0000, 8 bytes).
func parseTeredo(b []byte) (int, proto, error) {
	n := 0
	if len(b) >= 2 && b[0] == 0 && b[1] == 1 {
		if len(b) < 4 {
			return 0, 0, errShort
		}
		n = 4 + int(b[2]) + int(b[3]) + 9
	}
	if len(b) >= n+2 && b[n] == 0 && b[n+1] == 0 {
		n += 8
	}
	if len(b) <= n {
		return 0, 0, errShort
	}
	if b[n]>>4 != 6 {
		return n, pOther, nil
	}
	return n, pIPv6, nil
}

// parseVXLANGPE reads a VXLAN-GPE header (8 bytes, draft-ietf-nvo3-vxlan-gpe
// section 3.1), whose next-protocol byte says what follows: 1 IPv4, 2 IPv6,
// 3 Ethernet, 5 MPLS (4, NSH, is not decoded).
func parseVXLANGPE(b []byte) (int, proto, error) {
	if len(b) < 8 {
		return 0, 0, errShort
	}
	switch b[3] {
	case 1:
		return 8, pIPv4, nil
	case 2:
		return 8, pIPv6, nil
	case 3:
		return 8, pEthernet, nil
	case 5:
		return 8, pMPLS, nil
	}
	return 8, pOther, nil
}

// parseGeneve reads a Geneve header (RFC 8926 section 3.4): version 0, the
// options' length in 4-byte words, and an EtherType (0x6558 for Ethernet).
func parseGeneve(b []byte) (int, proto, error) {
	if len(b) < 8 {
		return 0, 0, errShort
	}
	if b[0]>>6 != 0 {
		return 0, 0, errMalformed
	}
	n := 8 + int(b[0]&0x3f)*4
	if len(b) < n {
		return 0, 0, errShort
	}
	return n, etherProto(layers.EthernetType(be16(b[2:]))), nil
}

// parseERSPAN3 reads an ERSPAN type III header (draft-foschiano-erspan-03
// section 4.3): 12 bytes, and an 8-byte platform-specific subheader when the
// O flag is set. Frame type 0 is an Ethernet frame; others are not decoded.
// gopacket's layers.ERSPANII reads type II only.
func parseERSPAN3(b []byte) (int, proto, error) {
	if len(b) < 12 {
		return 0, 0, errShort
	}
	n := 12
	if b[11]&1 != 0 {
		n += 8
	}
	if len(b) < n {
		return 0, 0, errShort
	}
	if b[10]>>2&0x1f != 0 {
		return n, pOther, nil
	}
	return n, pEthernet, nil
}

// parseWCCP reads what follows GRE protocol type 0x883e, the packets a
// router redirects to a web cache: WCCP version 2 puts a 4-byte redirect
// header (flags, service ID, alternate bucket, primary bucket) before the
// IPv4 packet, version 1 puts the packet right after GRE. As Wireshark's
// GRE dissector does, a first nibble of 4 is taken for the packet itself
// (the redirect header's first byte holds only three flag bits).
func parseWCCP(b []byte) (int, proto, error) {
	if len(b) < 1 {
		return 0, 0, errShort
	}
	if b[0]>>4 == 4 {
		return 0, pIPv4, nil
	}
	if len(b) < 4 {
		return 0, 0, errShort
	}
	return 4, pIPv4, nil
}
