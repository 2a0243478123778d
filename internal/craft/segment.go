package craft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// maxOptionBytes is the most TCP option bytes a header can hold: the data
// offset is 4 bits, so the header is at most 60 bytes (RFC 9293 section 3.1).
const maxOptionBytes = 40

// segment is the working state of the segment being built. The Wire owns the
// only one and resets it for every send, so the per-packet path does not
// allocate; fields write into it, and option data lives in optBuf.
type segment struct {
	w        *Wire
	from     *Endpoint
	flags    Flags
	seq, ack uint32
	seqSet   bool
	ackSet   bool
	window   uint16
	winSet   bool
	urgent   uint16
	payload  []byte
	dataLen  int // bytes of Data filler; -1 when payload was given
	capture  bool
	deliver  bool

	noTS, noSACK             bool
	explicitTS, explicitSACK bool
	hasTS                    bool // some timestamps option was added
	tsVal                    uint32
	sackPerm                 bool // a SACK-permitted option was added

	opts   []layers.TCPOption // explicit options in field order, backed by optArr
	optArr [maxOptionBytes]layers.TCPOption
	optBuf [2 * maxOptionBytes]byte // option data; auto options use it too
	used   int
	err    error
}

func (s *segment) reset(w *Wire, from *Endpoint, f Flags) {
	*s = segment{w: w, from: from, flags: f, capture: true, deliver: true}
	s.opts = s.optArr[:0]
}

// optBytes returns n bytes of option data space owned by the segment.
func (s *segment) optBytes(n int) []byte {
	if s.used+n > len(s.optBuf) {
		s.fail(errors.New("tcp options longer than 40 bytes"))
		return make([]byte, n)
	}
	b := s.optBuf[s.used : s.used+n : s.used+n]
	s.used += n
	return b
}

func (s *segment) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *segment) addOption(kind layers.TCPOptionKind, data []byte) {
	if len(s.opts) == len(s.optArr) {
		s.fail(errors.New("more than 40 tcp options"))
		return
	}
	if kind == layers.TCPOptionKindSACKPermitted {
		s.sackPerm = true
	}
	s.opts = append(s.opts, layers.TCPOption{OptionType: kind, OptionData: data})
}

func (s *segment) addTS(val, ecr uint32) {
	d := s.optBytes(8)
	binary.BigEndian.PutUint32(d, val)
	binary.BigEndian.PutUint32(d[4:], ecr)
	s.addOption(layers.TCPOptionKindTimestamps, d)
	if !s.hasTS {
		s.hasTS, s.tsVal = true, val
	}
}

func (s *segment) addSACK(blocks []Block) {
	d := s.optBytes(8 * len(blocks))
	for i, b := range blocks {
		binary.BigEndian.PutUint32(d[8*i:], b.Left)
		binary.BigEndian.PutUint32(d[8*i+4:], b.Right)
	}
	s.addOption(layers.TCPOptionKindSACK, d)
}

// autoTS returns the timestamps the sender would put in this segment: its
// clock ticks once per millisecond of wire time (Linux's rate), and a SYN
// without ACK echoes nothing (RFC 7323 section 3.2).
func (s *segment) autoTS() (val, ecr uint32) {
	val = s.from.TSOffset + uint32(s.w.now.Sub(s.w.start)/time.Millisecond)
	if s.flags&SYN == 0 || s.flags&ACK != 0 {
		ecr = s.from.tsRecent
	}
	return val, ecr
}

// finalOptions returns the options to serialize: the automatic timestamps
// first (NOP, NOP, TS, Linux's layout), then the explicit ones in field order,
// then the automatic SACK blocks (NOP, NOP, SACK). The slice is backed by
// dst.
func (s *segment) finalOptions(dst []layers.TCPOption, autoTS, autoSACK bool) []layers.TCPOption {
	out := dst[:0]
	nop := layers.TCPOption{OptionType: layers.TCPOptionKindNop}
	if autoTS {
		val, ecr := s.autoTS()
		s.addTS(val, ecr) // appends to s.opts; moved to the front below
		out = append(out, nop, nop, s.opts[len(s.opts)-1])
		s.opts = s.opts[:len(s.opts)-1]
	}
	out = append(out, s.opts...)
	if autoSACK {
		blocks := s.from.ooo
		limit := 4 // 2 NOPs + 2 + 8*4 = 36 bytes
		if s.hasTS {
			limit = 3 // beside 12 bytes of timestamps (RFC 2018 section 3)
		}
		if len(blocks) > limit {
			blocks = blocks[:limit]
		}
		s.addSACK(blocks)
		out = append(out, nop, nop, s.opts[len(s.opts)-1])
		s.opts = s.opts[:len(s.opts)-1]
	}
	n := 0
	for _, o := range out {
		switch o.OptionType {
		case layers.TCPOptionKindNop, layers.TCPOptionKindEndList:
			n++
		default:
			n += 2 + len(o.OptionData)
		}
	}
	if n > maxOptionBytes {
		s.fail(fmt.Errorf("tcp options take %d bytes, more than %d", n, maxOptionBytes))
	}
	return out
}

// fillPeriod is the length of the Data filler pattern: 62 letters and digits,
// a dot and a newline, so a followed stream reads as lines of text.
const fillPeriod = 64

// filler holds the pattern repeated to cover any offset within one period
// plus the largest payload an IP packet can carry. It is built once and never
// written.
var filler = func() []byte {
	const pattern = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.\n"
	b := make([]byte, fillPeriod+maxData)
	for i := range b {
		b[i] = pattern[i%fillPeriod]
	}
	return b
}()

// fill returns n filler bytes for stream offset off (bytes after the ISN+1).
func fill(off uint32, n int) []byte {
	start := int(off % fillPeriod)
	return filler[start : start+n : start+n]
}
