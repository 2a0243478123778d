package capture

// Checksum verification of IPv4 headers and of TCP, UDP and ICMP (RFC 1071:
// the 16-bit one's complement of the one's complement sum; RFC 9293 section
// 3.1 and RFC 8200 section 8.1 for the pseudo-headers of IPv4 and IPv6), for
// the packet views (--dissect, --format tcpdump): Checksums and ChecksumAt
// read a Frame and say what the field should hold. The decoder's per-segment
// verdict (checksums.go) judges by the same rules and the same sum.

// Checksum is a checksum field and what checking it found.
type Checksum struct {
	Status ChecksumStatus
	Stored uint16 // the value in the header
	// Want is the value the field should hold; equal to Stored when Good,
	// 0 when it could not be computed (None, Unverified).
	Want uint16
}

// Checksums checks the frame's innermost TCP segment: the checksum of its
// IPv4 header (None over IPv6) and its TCP checksum. Frames without a TCP
// header get the innermost IP header's status and None.
func Checksums(f *Frame) (ip, tcp Checksum) {
	t := f.Find(HeaderTCP)
	if t >= 0 {
		tcp = ChecksumAt(f, t)
	} else {
		t = len(f.Headers)
	}
	for i := t - 1; i >= 0; i-- {
		switch f.Headers[i].Kind {
		case HeaderIPv4:
			return ChecksumAt(f, i), tcp
		case HeaderIPv6:
			return none, tcp
		}
	}
	return none, tcp
}

// ChecksumAt checks the checksum of header i of the frame: an IPv4 header,
// or a TCP, UDP, ICMP or ICMPv6 message, over the pseudo-header of the IP
// header that encloses it. Other headers have none.
func ChecksumAt(f *Frame, i int) Checksum {
	h := f.Headers[i]
	b := f.Rest(h)
	switch h.Kind {
	case HeaderIPv4:
		return IPv4HeaderChecksum(b)
	case HeaderICMPv4:
		if len(b) < h.Wire || len(b) < 4 {
			return Checksum{Status: ChecksumUnverified}
		}
		return verify(0, 0, b, 2, false)
	case HeaderTCP, HeaderUDP, HeaderICMPv6:
	default:
		return none
	}
	proto, at := uint8(6), 16 // where the checksum field is
	switch h.Kind {
	case HeaderUDP:
		proto, at = 17, 6
	case HeaderICMPv6:
		proto, at = 58, 2
	}
	for j := i - 1; j >= 0; j-- {
		ip := f.Headers[j]
		if ip.Kind != HeaderIPv4 && ip.Kind != HeaderIPv6 {
			continue
		}
		if len(b) < at+2 {
			return Checksum{Status: ChecksumUnverified}
		}
		if h.Kind == HeaderUDP && ip.Kind == HeaderIPv4 && be16(b[6:]) == 0 {
			return none // no checksum was computed (RFC 768)
		}
		if len(b) < h.Wire {
			return Checksum{Status: ChecksumUnverified, Stored: be16(b[at:])}
		}
		var ph, ph0 uint32 // with the message's length, and with 0 (segmentation offload)
		if ip.Kind == HeaderIPv4 {
			ph, ph0 = PseudoHeaderSum4(f.Bytes(ip), proto, h.Wire), PseudoHeaderSum4(f.Bytes(ip), proto, 0)
		} else {
			ph, ph0 = PseudoHeaderSum6(f.Rest(ip), f.Headers[j+1:i], f, proto, h.Wire), PseudoHeaderSum6(f.Rest(ip), f.Headers[j+1:i], f, proto, 0)
		}
		return verify(ph, ph0, b[:h.Wire], at, true)
	}
	return none
}

// IPv4HeaderChecksum checks the checksum of the IPv4 header at the start of
// b (its IHL says how long it is).
func IPv4HeaderChecksum(b []byte) Checksum {
	if len(b) < 20 {
		return Checksum{Status: ChecksumUnverified}
	}
	n := int(b[0]&0xf) * 4
	if n < 20 || len(b) < n {
		return Checksum{Status: ChecksumUnverified, Stored: be16(b[10:])}
	}
	c := verify(0, 0, b[:n], 10, false)
	if c.Status == ChecksumBad && c.Stored == 0 {
		c.Status = ChecksumUnfilled
	}
	return c
}

// verify checks the checksum stored at b[at:at+2], the data b summed with
// the pseudo-header sum ph. When partial is set, a wrong stored value of 0
// or of the folded pseudo-header sum, with the length (ph) or without it
// (ph0, as Linux leaves it under segmentation offload), is ChecksumUnfilled:
// the rule of segmentChecksums.
func verify(ph, ph0 uint32, b []byte, at int, partial bool) Checksum {
	stored := be16(b[at:])
	all := Fold(ph + Sum(b))
	c := Checksum{Stored: stored}
	if all == 0xffff {
		c.Status, c.Want = ChecksumGood, stored
		return c
	}
	// What the field should hold: the complement of the sum of everything
	// but the field itself (RFC 1624's incremental update, as tcpdump
	// computes it, so 0x0000 and 0xffff come out alike).
	c.Want = Fold(uint32(stored) + uint32(^all))
	c.Status = ChecksumBad
	if partial && stored == Fold(ph) {
		c.Status = ChecksumUnfilled
	}
	return c
}

// PseudoHeaderSum4 is the unfolded sum of the IPv4 pseudo-header of a
// transport message of length n and protocol proto under the IPv4 header
// ip: source, destination (the final one of a source route, RFC 791),
// protocol and length.
func PseudoHeaderSum4(ip []byte, proto uint8, n int) uint32 {
	dst := ip[16:20]
	if a, ok := sourceRouteDst(ip[20:]); ok {
		b := a.As4()
		dst = b[:]
	}
	return Sum(ip[12:16]) + Sum(dst) + uint32(proto) + uint32(n&0xffff) + uint32(n>>16)
}

// PseudoHeaderSum6 is the unfolded sum of the IPv6 pseudo-header (RFC 8200
// section 8.1) of a transport message of length n: source, final
// destination (the last of a routing header's addresses when segments are
// left), length and next header. ip is the IPv6 header, ext the extension
// headers between it and the message, in f.
func PseudoHeaderSum6(ip []byte, ext []Header, f *Frame, proto uint8, n int) uint32 {
	dst := ip[24:40]
	for _, h := range ext {
		b := f.Bytes(h)
		// The routing header is the extension whose type the header before
		// it names as 43; read it by its layout: type at 2, segments left at 3.
		if h.Kind != HeaderIPv6Ext || len(b) < 8 || !routingHeader(f, h) || b[3] == 0 {
			continue
		}
		switch b[2] {
		case 0, 2: // type 0 (deprecated) and 2 (mobility): addresses from offset 8, the last is final
			if len(b) >= 24 {
				dst = b[len(b)-16:]
			}
		case 4: // segment routing (RFC 8754): segment list[0], at offset 8, is the final one
			if len(b) >= 24 {
				dst = b[8:24]
			}
		}
	}
	return Sum(ip[8:24]) + Sum(dst) + uint32(n&0xffff) + uint32(n>>16) + uint32(proto)
}

// routingHeader reports whether extension header h is a routing header: the
// header before it names it by its next-header field.
func routingHeader(f *Frame, h Header) bool {
	for i := range f.Headers {
		if f.Headers[i] != h || i == 0 {
			continue
		}
		p := f.Headers[i-1]
		b := f.Bytes(p)
		switch {
		case p.Kind == HeaderIPv6 && len(b) >= 7:
			return b[6] == 43
		case (p.Kind == HeaderIPv6Ext || p.Kind == HeaderIPv6Frag) && len(b) >= 1:
			return b[0] == 43
		}
	}
	return false
}

// Sum is the one's complement sum of b as 16-bit big-endian words (an odd
// last byte padded with zero), folded to 16 bits (so that sums of a few
// parts can be added in a uint32 and folded again).
func Sum(b []byte) uint32 { return uint32(Fold(onesSum(b, 0))) }

// Fold folds a one's complement sum to 16 bits.
func Fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// none is the status of a header without a checksum.
var none = Checksum{Status: ChecksumNone}
