package craft

import (
	"encoding/binary"
	"strings"

	"github.com/gopacket/gopacket/layers"
)

// Flags are TCP header flags. The values are the bits of byte 13 of the TCP
// header, so they combine with | as on the wire: SYN|ACK.
type Flags uint8

// The TCP flags (RFC 9293 section 3.1, RFC 3168 for ECE and CWR).
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// String spells the flags out from the low bit up, joined by "|": SYN|ACK,
// FIN|PSH|ACK. No flags at all is "none".
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	names := [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}
	var b strings.Builder
	for i, n := range names {
		if f&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(n)
	}
	return b.String()
}

// A Field sets one part of a segment before it is sent: a TCP option, the
// payload, an explicit header value that overrides the computed one, or how
// the segment travels (Lost, Dropped, Unseen). Fields apply in order, and TCP
// options are written in the order their fields are given.
type Field interface {
	apply(s *segment)
}

// Fields groups several fields into one, for sets used together (LinuxSYN).
func Fields(fs ...Field) Field { return fieldList(fs) }

type fieldList []Field

func (l fieldList) apply(s *segment) {
	for _, f := range l {
		f.apply(s)
	}
}

// Payload sets the segment's payload. The slice is read when the segment is
// sent and not kept.
func Payload(p []byte) Field { return payloadField(p) }

type payloadField []byte

func (p payloadField) apply(s *segment) { s.payload = p; s.dataLen = -1 }

// Data sets a payload of n bytes of filler text whose content depends only on
// the position in the sender's byte stream, so a retransmission of the same
// sequence range carries the same bytes. n is at most 65535.
func Data(n int) Field { return dataField(n) }

type dataField int

func (d dataField) apply(s *segment) { s.dataLen = int(d); s.payload = nil }

// Seq sets the sequence number explicitly (retransmissions, out-of-order
// segments, RSTs with arbitrary numbers). The sender's next sequence number
// still advances to the end of the segment if that is further on.
func Seq(v uint32) Field { return seqField(v) }

type seqField uint32

func (v seqField) apply(s *segment) { s.seq, s.seqSet = uint32(v), true }

// Ack sets the acknowledgment number explicitly, whether or not ACK is set.
func Ack(v uint32) Field { return ackField(v) }

type ackField uint32

func (v ackField) apply(s *segment) { s.ack, s.ackSet = uint32(v), true }

// Window sets the raw window field of this segment and, unless it is a SYN,
// of the sender's later segments too.
func Window(w uint16) Field { return windowField(w) }

type windowField uint16

func (v windowField) apply(s *segment) { s.window, s.winSet = uint16(v), true }

// Urgent sets the urgent pointer (meaningful with URG).
func Urgent(p uint16) Field { return urgentField(p) }

type urgentField uint16

func (v urgentField) apply(s *segment) { s.urgent = uint16(v) }

// Travel is how a segment travels relative to the capture point. By default
// it is captured and delivered.
type Travel uint8

// The ways a segment can go astray.
const (
	// Lost: the segment is lost before the capture point: the sender's state
	// advances, but it is neither captured nor delivered.
	Lost Travel = iota + 1
	// Dropped: the segment is captured but lost after the capture point, so
	// the receiver never sees it.
	Dropped
	// Unseen: the segment is delivered but not captured (it happened before
	// the capture started, or took another path).
	Unseen
)

func (t Travel) apply(s *segment) {
	s.capture = t == Dropped
	s.deliver = t == Unseen
}

// Automatic options and how to turn them off.
const (
	// Timestamps is the timestamps option (kind 8, RFC 7323) with the values
	// the sender would use: TSval from its clock (1 ms per tick since the
	// wire started, plus Endpoint.TSOffset) and TSecr echoing the last TSval
	// it received (0 on a SYN without ACK).
	Timestamps auto = iota + 1
	// NoTimestamps leaves out the timestamps option that is otherwise added
	// to every non-SYN segment once both SYNs carried it.
	NoTimestamps
	// NoSACK leaves out the SACK blocks that are otherwise added to every ACK
	// while the sender holds out-of-order data and both SYNs carried
	// SACK-permitted.
	NoSACK
)

type auto uint8

func (a auto) apply(s *segment) {
	switch a {
	case Timestamps:
		s.addTS(s.autoTS())
		s.explicitTS = true
	case NoTimestamps:
		s.noTS = true
	case NoSACK:
		s.noSACK = true
	}
}

// TCP options. Each adds exactly one option; nothing is aligned for you, so
// write NOP fields where a real stack would (LinuxSYN shows Linux's layout).
// The header is padded with zero bytes (end of option list) to a multiple of
// four, as gopacket's layers.TCP does.
const (
	EOL           bare = layers.TCPOptionKindEndList       // end of option list (kind 0)
	NOP           bare = layers.TCPOptionKindNop           // no-operation (kind 1)
	SACKPermitted bare = layers.TCPOptionKindSACKPermitted // SACK-permitted (kind 4, RFC 2018)
)

// bare is an option that is only its kind byte (EOL, NOP) or kind and length
// (SACK-permitted).
type bare uint8

func (b bare) apply(s *segment) { s.addOption(layers.TCPOptionKind(b), nil) }

// MSS is the maximum segment size option (kind 2).
func MSS(v uint16) Field { return mssField(v) }

type mssField uint16

func (v mssField) apply(s *segment) {
	d := s.optBytes(2)
	binary.BigEndian.PutUint16(d, uint16(v))
	s.addOption(layers.TCPOptionKindMSS, d)
}

// WScale is the window scale option (kind 3) with the given shift count.
func WScale(shift uint8) Field { return wscaleField(shift) }

type wscaleField uint8

func (v wscaleField) apply(s *segment) {
	d := s.optBytes(1)
	d[0] = uint8(v)
	s.addOption(layers.TCPOptionKindWindowScale, d)
}

// TS is the timestamps option with explicit values.
func TS(val, ecr uint32) Field { return tsField{val: val, ecr: ecr} }

type tsField struct{ val, ecr uint32 }

func (v tsField) apply(s *segment) {
	s.addTS(v.val, v.ecr)
	s.explicitTS = true
}

// A Block is one SACK block: the sequence numbers of the first byte received
// and of the byte after the last (RFC 2018 section 3).
type Block struct{ Left, Right uint32 }

// SACK is the SACK option (kind 5) with the given blocks, in order.
func SACK(blocks ...Block) Field { return sackField(blocks) }

type sackField []Block

func (v sackField) apply(s *segment) {
	s.addSACK(v)
	s.explicitSACK = true
}

// Option adds an option of any kind with the given data (its length byte is
// computed), for kinds the other fields do not cover: unknown or
// experimental kinds (253 and 254, RFC 4727), or malformed variants of known
// ones.
func Option(kind uint8, data []byte) Field {
	return rawOption{kind: layers.TCPOptionKind(kind), data: data}
}

type rawOption struct {
	kind layers.TCPOptionKind
	data []byte
}

func (o rawOption) apply(s *segment) {
	d := s.optBytes(len(o.data))
	copy(d, o.data)
	s.addOption(o.kind, d)
}

// LinuxSYN is the option set of a Linux SYN or SYN-ACK in Linux's order:
// MSS, SACK-permitted, timestamps, NOP, window scale (20 bytes, no padding).
func LinuxSYN(mss uint16, shift uint8) Field {
	return Fields(MSS(mss), SACKPermitted, Timestamps, NOP, WScale(shift))
}
