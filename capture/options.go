package capture

import "github.com/gopacket/gopacket/layers"

// OptionProblem is a way a segment's TCP options are malformed. A segment
// can have several; each is counted once per segment.
type OptionProblem uint8

// Problems of TCP options, in the order reports list them.
const (
	// OptBadLength: an option whose length its kind does not allow (an MSS
	// option of length 3). It is skipped by its length, as receivers and
	// Wireshark do, and the options after it are read.
	OptBadLength OptionProblem = iota
	// OptPastEnd: an option whose length runs past the end of the header
	// (or a kind byte with no room for its length). Neither it nor anything
	// after it is read: a receiver stops there too (Linux
	// tcp_parse_options), so an option that follows, such as a window
	// scale, is not in effect.
	OptPastEnd
	// OptZeroLength: an option whose length byte is 0 or 1, less than its
	// own two bytes. Nothing after it is read, as above.
	OptZeroLength
	// OptDuplicate: an option that may appear once (MSS, window scale, SACK
	// permitted, SACK, timestamps) appears again; the last one counts, as
	// in Linux.
	OptDuplicate
	NumOptionProblems
)

var optionProblemNames = [NumOptionProblems]string{
	OptBadLength:  "bad_length",
	OptPastEnd:    "past_end_of_header",
	OptZeroLength: "zero_length",
	OptDuplicate:  "duplicate",
}

var optionProblemText = [NumOptionProblems]string{
	OptBadLength:  "an option's length does not fit its kind (the option is ignored)",
	OptPastEnd:    "an option runs past the end of the TCP header (it and the options after it are not read)",
	OptZeroLength: "an option's length is below 2 (the options after it are not read)",
	OptDuplicate:  "an option that may appear once appears again (the last one counts)",
}

// String is the problem's stable machine name, used as a JSON key.
func (p OptionProblem) String() string { return optionProblemNames[p] }

// Text describes the problem in words.
func (p OptionProblem) Text() string { return optionProblemText[p] }

// OptionProblems returns every problem in report order.
func OptionProblems() []OptionProblem {
	ps := make([]OptionProblem, NumOptionProblems)
	for i := range ps {
		ps[i] = OptionProblem(i)
	}
	return ps
}

// BadOption is the first option of a segment that has one problem: its kind,
// its length byte (0 when it had none) and how many bytes of options were
// left from its start.
type BadOption struct{ Kind, Len, Room uint8 }

// Has reports whether the options have problem p.
func (o *Options) Has(p OptionProblem) bool { return o.Bad&(1<<p) != 0 }

func (o *Options) problem(p OptionProblem, kind, length byte, room int) {
	if o.Has(p) {
		return
	}
	o.Bad |= 1 << p
	o.BadOpt[p] = BadOption{kind, length, uint8(min(room, 255))}
}

// OptionLen returns the length an option of a kind must have (RFC 9293 for
// MSS, RFC 7323 for window scale and timestamps, RFC 2018 for SACK), and
// whether the kind has a fixed length; SACK is checked apart (2 + 8n).
func OptionLen(kind layers.TCPOptionKind) (int, bool) {
	switch kind {
	case layers.TCPOptionKindMSS:
		return 4, true
	case layers.TCPOptionKindWindowScale:
		return 3, true
	case layers.TCPOptionKindSACKPermitted:
		return 2, true
	case layers.TCPOptionKindTimestamps:
		return 10, true
	}
	return 0, false
}

// onceKinds are the option kinds a segment carries at most once: MSS, window
// scale, SACK permitted, SACK and timestamps (bit k for kind k).
const onceKinds = 1<<layers.TCPOptionKindMSS | 1<<layers.TCPOptionKindWindowScale |
	1<<layers.TCPOptionKindSACKPermitted | 1<<layers.TCPOptionKindSACK | 1<<layers.TCPOptionKindTimestamps

// parseOptions reads the option bytes of a TCP header (RFC 9293 section
// 3.1) into o. whole says b is the entire option space; when the snap length
// cut the header, running out of captured bytes is no fault and reading just
// stops there (Wireshark's dissection stops there too).
//
// By hand rather than through layers.TCP, which stops at the first option
// whose length is out of bounds without saying so (its stopOptions), keeps an
// MSS option of length 3 as one byte of data, and allocates a struct for
// every MPTCP option it decodes; here every problem gets its own reason and
// decoding allocates nothing.
func parseOptions(b []byte, whole bool, o *Options) {
	*o = Options{MSS: -1, WScale: -1}
	var seen uint64 // bit k: an option of kind k was read (for the kinds in onceKinds)
	for len(b) > 0 {
		kind := layers.TCPOptionKind(b[0])
		switch {
		case kind == layers.TCPOptionKindEndList:
			return
		case kind == layers.TCPOptionKindNop:
			b = b[1:]
			continue
		case len(b) < 2:
			if whole {
				o.problem(OptPastEnd, b[0], 0, len(b))
			}
			return
		case b[1] < 2:
			o.problem(OptZeroLength, b[0], b[1], len(b))
			return
		case int(b[1]) > len(b):
			if whole {
				o.problem(OptPastEnd, b[0], b[1], len(b))
			}
			return
		}
		n := int(b[1])
		v := b[2:n]
		want, fixed := OptionLen(kind)
		if (fixed && n != want) || (kind == layers.TCPOptionKindSACK && (n < 10 || (n-2)%8 != 0)) {
			o.problem(OptBadLength, b[0], b[1], len(b))
			b = b[n:]
			continue
		}
		if kind < 64 && onceKinds&(1<<kind) != 0 {
			if seen&(1<<kind) != 0 {
				o.problem(OptDuplicate, b[0], b[1], len(b))
			}
			seen |= 1 << kind
		}
		o.add(kind, v)
		b = b[n:]
	}
}

// add records one well-formed TCP option; a repeated one replaces the
// earlier (SACK blocks add up to MaxSACKBlocks).
func (o *Options) add(kind layers.TCPOptionKind, v []byte) {
	switch kind {
	case layers.TCPOptionKindMSS:
		o.MSS = int32(v[0])<<8 | int32(v[1])
	case layers.TCPOptionKindWindowScale:
		o.WScale = int8(min(v[0], 127))
	case layers.TCPOptionKindSACKPermitted:
		o.SACKPermitted = true
	case layers.TCPOptionKindSACK:
		for len(v) >= 8 && o.NSACK < MaxSACKBlocks {
			o.SACK[o.NSACK] = SACKBlock{be32(v), be32(v[4:])}
			o.NSACK++
			v = v[8:]
		}
	case layers.TCPOptionKindTimestamps:
		o.HasTS, o.TSVal, o.TSEcr = true, be32(v), be32(v[4:])
	default:
		if o.NUnknown < MaxUnknownOptions {
			o.Unknown[o.NUnknown] = uint8(kind)
			o.NUnknown++
		}
	}
}
