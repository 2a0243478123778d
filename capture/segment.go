package capture

import (
	"net/netip"
	"strings"
)

// Flags holds the TCP header flags as they appear in the header's 12 flag bits.
type Flags uint16

// The TCP flag bits, lowest first (RFC 9293 section 3.1; AE from RFC 9768 is the
// former NS bit).
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
	AE
)

// String renders the flags the way tcpdump and our reports do: one letter per flag
// in the fixed order S F R P A U E C N, for example "SA" or "FPA". No flags is "".
func (f Flags) String() string {
	var b [9]byte
	return string(f.appendLetters(b[:0]))
}

// AppendLetters appends the flag letters to dst (allocation-free String).
func (f Flags) AppendLetters(dst []byte) []byte { return f.appendLetters(dst) }

func (f Flags) appendLetters(dst []byte) []byte {
	for _, fl := range flagOrder {
		if f&fl.bit != 0 {
			dst = append(dst, fl.letter)
		}
	}
	return dst
}

var flagOrder = [...]struct {
	bit    Flags
	letter byte
}{{SYN, 'S'}, {FIN, 'F'}, {RST, 'R'}, {PSH, 'P'}, {ACK, 'A'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'C'}, {AE, 'N'}}

// Has reports whether all bits of g are set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Names lists the flags by their RFC names, e.g. "SYN,ACK".
func (f Flags) Names() string {
	names := [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"}
	var parts []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

// SACKBlock is one selective-acknowledgment block [Left, Right) (RFC 2018).
type SACKBlock struct{ Left, Right uint32 }

// MaxSACKBlocks is the most SACK blocks a 40-byte option space can carry.
const MaxSACKBlocks = 4

// MaxUnknownOptions is how many unrecognized option kinds a segment keeps.
const MaxUnknownOptions = 8

// Options are the TCP options of one segment. Absent options use their "unknown"
// value (-1 or false), never a zero that could be mistaken for a real value.
type Options struct {
	MSS           int32 // maximum segment size; -1 when the option is absent
	WScale        int8  // window scale shift as sent (not clamped); -1 when absent
	SACKPermitted bool
	HasTS         bool   // the timestamps option (RFC 7323) is present
	TSVal, TSEcr  uint32 // valid when HasTS
	NSACK         uint8  // number of valid entries in SACK
	SACK          [MaxSACKBlocks]SACKBlock
	NUnknown      uint8                    // number of valid entries in Unknown
	Unknown       [MaxUnknownOptions]uint8 // kinds of other options (e.g. 30 MPTCP, 34 TFO), in order
	// Bad is the set of problems of malformed options (bit 1<<OptionProblem,
	// see Has); BadOpt[p] describes the first option with problem p.
	Bad    uint8
	BadOpt [NumOptionProblems]BadOption
}

// SACKBlocks returns the SACK blocks present in the segment.
func (o *Options) SACKBlocks() []SACKBlock { return o.SACK[:o.NSACK] }

// UnknownKinds returns the kinds of options tcpflow does not interpret.
func (o *Options) UnknownKinds() []uint8 { return o.Unknown[:o.NUnknown] }

// Segment is one decoded TCP segment and where it came from.
//
// Payload is owned by the Reader and is valid only until the next call to
// Reader.Next; later stages copy what they keep. Everything else is a value.
type Segment struct {
	Frame    uint64 // 1-based frame number in the capture, counting every record as Wireshark does
	File     int    // index of the input this frame came from (Reader.Inputs)
	Time     int64  // capture time, nanoseconds since the Unix epoch (UTC)
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    Flags
	Window   uint16 // raw window field, before any scaling
	Urgent   uint16
	HdrLen   uint8 // TCP header length in bytes, options included
	// FileFrame is the frame's 1-based number within its input (File). With
	// one input, or inputs read in order, it is Frame less the frames of the
	// inputs before; merged by time, Frame follows the merged order (Reader).
	FileFrame uint64
	// PayloadLen is the TCP payload length on the wire: the IP payload length
	// minus the TCP header, as Wireshark computes tcp.len. It can exceed
	// len(Payload) when the frame was cut by the snap length.
	PayloadLen int
	Payload    []byte // captured payload bytes (see the ownership note above)
	Opts       Options
	// Truncated is set when the frame was cut by the snap length, so some
	// payload bytes are missing from Payload.
	Truncated bool
	// OptionsCut is set when the snap length cut the TCP header itself: Opts
	// holds the options captured whole, and any after them are unknown
	// (Wireshark's dissection stops there too). The segment is analyzed all
	// the same: its length comes from the IP header.
	OptionsCut bool
	// Fragmented is set when the segment was rebuilt from IP fragments; Frame
	// is then the frame of the last fragment, as in Wireshark.
	Fragmented bool
	// Quoted is set when this is not a segment on the wire but the start of a
	// TCP header quoted in an ICMP error (ICMPType, ICMPCode): Src, Dst, Seq and,
	// when quoted, Flags describe the segment that caused the error. Wireshark
	// gives such frames the tcp.stream of that 4-tuple, so they take part in
	// numbering connections but not in their analysis.
	Quoted bool
	// QuotedFull is set when the ICMP error quotes the whole fixed TCP header
	// (20 bytes), not only the 8 bytes RFC 792 guarantees. Wireshark numbers
	// the frame in tcp.stream only then.
	QuotedFull         bool
	ICMPType, ICMPCode uint8
	ICMPv6             bool
	// BadHeader is set when the TCP header's length field is below 20 bytes or
	// runs past the end of the IP payload (Wireshark: "bogus TCP header
	// length", "short segment"). Only Src, Dst, Seq, Ack, Flags, Window and
	// HdrLen are read. Wireshark still gives such a frame the tcp.stream of
	// its 4-tuple, so, like a quoted header, it takes part in numbering
	// connections but not in their analysis; the Reader counts it as
	// Malformed.
	BadHeader bool
	// IPChecksum and TCPChecksum say whether the checksums of the IPv4
	// header and of the TCP segment (with its pseudo-header) are right,
	// wrong, or left for the network card to fill in (checksum offload);
	// see ChecksumStatus.
	IPChecksum, TCPChecksum ChecksumStatus
	// IPID is the IPv4 header's identification field (0 under IPv6, which
	// has none outside fragment headers) and TCPSum the TCP checksum field
	// as captured: with the TCP header fields they tell a frame captured
	// twice from a retransmission, which a sender sends with another IP id
	// (state/artifact.go).
	IPID, TCPSum uint16
}
