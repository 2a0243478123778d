package capture

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// ChecksumStatus is what a checksum of a captured segment turned out to be.
type ChecksumStatus uint8

// Checksum statuses. The zero value is "not verified", never "right".
const (
	// ChecksumUnverified: not checked, because the snap length cut the
	// segment (the bytes it covers were not all captured) or the frame is
	// no whole segment (an ICMP quote, a bogus header).
	ChecksumUnverified ChecksumStatus = iota
	// ChecksumNone: there is no such checksum (an IPv6 header has none).
	ChecksumNone
	// ChecksumGood: the checksum is right.
	ChecksumGood
	// ChecksumBad: the checksum is wrong: the segment was damaged on the
	// way, or crafted, or rewritten by something that did not fix it.
	ChecksumBad
	// ChecksumUnfilled: the checksum was left for the network card to
	// compute (checksum offload): the capture was taken on the sending
	// host, before the card filled it in. The field holds 0 or, as Linux
	// leaves it for the card, the sum of the pseudo-header alone (with the
	// segment's length, or with length 0 for segmentation offload).
	ChecksumUnfilled
	NumChecksumStatus
)

var checksumNames = [NumChecksumStatus]string{
	ChecksumUnverified: "unverified", ChecksumNone: "none", ChecksumGood: "good",
	ChecksumBad: "bad", ChecksumUnfilled: "unfilled",
}

// String is the status's stable machine name, used in JSON.
func (s ChecksumStatus) String() string { return checksumNames[s] }

// ChecksumStatuses returns every status in report order.
func ChecksumStatuses() []ChecksumStatus {
	ss := make([]ChecksumStatus, NumChecksumStatus)
	for i := range ss {
		ss[i] = ChecksumStatus(i)
	}
	return ss
}

// segmentChecksums judges the checksums of a TCP segment: hdr4 is its IPv4
// header (nil under IPv6), src and dst the addresses of its pseudo-header
// (RFC 9293 section 3.1; with an IPv4 source route, the final destination),
// tcp the captured bytes of the segment and length its length on the wire.
// It reads the bytes once and allocates nothing.
//
// The packet views' ChecksumAt (checksum.go) shares the sum and the rules
// and also says what the field should hold; this one is the decoder's fast
// path, run on every segment.
func segmentChecksums(hdr4 []byte, src, dst netip.Addr, tcp []byte, length int) (ip, t ChecksumStatus) {
	ip = ChecksumNone
	if hdr4 != nil {
		switch {
		case Fold(onesSum(hdr4, 0)) == 0xffff:
			ip = ChecksumGood
		case be16(hdr4[10:]) == 0:
			ip = ChecksumUnfilled
		default:
			ip = ChecksumBad
		}
	}
	if len(tcp) < length || len(tcp) < 20 {
		return ip, ChecksumUnverified
	}
	// The pseudo-header without the length: addresses and protocol 6.
	var pseudo uint32 = 6
	if src.Is4() {
		a, b := src.As4(), dst.As4()
		pseudo = onesSum(a[:], onesSum(b[:], pseudo))
	} else {
		a, b := src.As16(), dst.As16()
		pseudo = onesSum(a[:], onesSum(b[:], pseudo))
	}
	withLen := pseudo + uint32(length>>16) + uint32(length&0xffff)
	switch field := be16(tcp[16:]); {
	case Fold(onesSum(tcp[:length], withLen)) == 0xffff:
		t = ChecksumGood
	case field == 0 || field == Fold(withLen) || field == Fold(pseudo):
		t = ChecksumUnfilled
	default:
		t = ChecksumBad
	}
	return ip, t
}

// onesSum adds b as big-endian 16-bit words (an odd last byte padded with
// zero) to the one's-complement sum s (RFC 1071), unfolded; callers fold.
// It adds 64 bits at a time with end-around carry: 2^16 is 1 modulo
// 0xffff, so the four words of each 8 bytes may be added as one number.
func onesSum(b []byte, s uint32) uint32 {
	acc, carry := uint64(s), uint64(0)
	var c uint64
	for len(b) >= 32 {
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b), 0)
		carry += c
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[8:]), 0)
		carry += c
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[16:]), 0)
		carry += c
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[24:]), 0)
		carry += c
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b), 0)
		carry += c
		b = b[8:]
	}
	for len(b) >= 2 {
		acc, c = bits.Add64(acc, uint64(b[0])<<8|uint64(b[1]), 0)
		carry += c
		b = b[2:]
	}
	if len(b) == 1 {
		acc, c = bits.Add64(acc, uint64(b[0])<<8, 0)
		carry += c
	}
	acc, c = bits.Add64(acc, carry, 0)
	acc += c // cannot carry again
	// Fold to 32 bits: 2^32 is 1 modulo 0xffff too.
	acc = acc&0xffffffff + acc>>32
	acc = acc&0xffffffff + acc>>32
	return uint32(acc)
}
