package wsdiff

import (
	"strconv"
	"strings"
)

// WinUnknown is Frame.Win when the window scale is unknown: tcpflow's `win` is
// null, tshark's tcp.window_size_scalefactor is -1.
const WinUnknown int64 = -1

// NoStream is Frame.Stream when tshark dissects a TCP header but gives it no
// tcp.stream (it does so for headers cut before 20 bytes, as in ICMP
// redirects quoting only ports and sequence number).
const NoStream = -1

// Frame is what one tool says about one TCP frame.
type Frame struct {
	Number uint64
	Stream int // tcp.stream, tcpflow's connection id, or NoStream
	// Quoted marks an ICMP error quoting a TCP header: tcpflow lists it in
	// connections[].icmp_errors, and only Stream is compared.
	Quoted bool
	// Partial marks a frame in which tshark found a TCP header but not all of
	// tcp.stream, seq, len, window and flags (a cut header): only Stream is
	// compared.
	Partial bool
	// TCPLayers is how many TCP headers tshark dissected in the frame (1 for
	// tcpflow). Frames with more are listed in Report.MultiLayer, not compared,
	// because -T fields cannot tell which layer an analysis flag belongs to.
	TCPLayers int
	Seq       uint32 // relative
	AckFlag   bool
	Ack       uint32 // relative; meaningful only with AckFlag
	Len       int
	Win       int64 // after scaling, or WinUnknown
	Analysis  Set
	// AckFrame is the frame this one acknowledges (tcp.analysis.acks_frame,
	// tcpflow's ack_frame), 0 for none; AckRTT the time since it in ns
	// (tcp.analysis.ack_rtt, tcpflow's ack_rtt_s), meaningful with HasRTT.
	AckFrame uint64
	AckRTT   int64
	HasRTT   bool
}

// rttText writes an ACK RTT in seconds with 9 decimals, as tshark prints
// tcp.analysis.ack_rtt, or "-" for none.
func rttText(f *Frame) string {
	if !f.HasRTT {
		return "-"
	}
	ns, sign := f.AckRTT, ""
	if ns < 0 {
		ns, sign = -ns, "-"
	}
	frac := strconv.FormatInt(ns%1e9, 10)
	return sign + strconv.FormatInt(ns/1e9, 10) + "." + strings.Repeat("0", 9-len(frac)) + frac
}

// parseRTT reads a time in seconds as tshark prints it ("0.030050000",
// "-0.000001000") into ns, exactly. tshark prints seconds and nanoseconds
// as two integers, "%d.%09d": a nanosecond part of 10^9 or more, which a
// capture whose fractional timestamps are out of range gives (tcpdump's
// timestamp_invalid_micro.pcap: 1,000,000 microseconds), comes out with
// ten digits, "-0.1000000000" for -1 s, and is read as nanoseconds.
func parseRTT(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	frac += strings.Repeat("0", max(9-len(frac), 0))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	ns := w*1e9 + f
	if neg {
		ns = -ns
	}
	return ns, nil
}

// Name is a tcp.analysis finding.
type Name uint8

// The tcp.analysis names of docs/json-schema.md, in its order, then the names
// tshark has and tcpflow does not report (counted, not compared).
const (
	Retransmission Name = iota
	FastRetransmission
	SpuriousRetransmission
	OutOfOrder
	LostSegment
	AckLostSegment
	DuplicateAck
	ZeroWindow
	ZeroWindowProbe
	ZeroWindowProbeAck
	WindowFull
	WindowUpdate
	KeepAlive
	KeepAliveAck
	ReusedPorts
	AckNonzero // tcp.ack.nonzero, an expert note rather than a tcp.analysis field
	TFOSyn
	TFOAck
	TFOIgnored
	numNames
)

// NumCompared is the number of names compared: Retransmission to AckNonzero.
const NumCompared = int(AckNonzero) + 1

var nameText = [numNames]string{
	"retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
	"lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
	"zero_window_probe_ack", "window_full", "window_update", "keep_alive", "keep_alive_ack",
	"reused_ports", "ack_nonzero", "tfo_syn", "tfo_ack", "tfo_ignored",
}

func (n Name) String() string {
	if n < numNames {
		return nameText[n]
	}
	return "Name(" + strconv.Itoa(int(n)) + ")"
}

// Compared reports whether tcpflow reports the name, so that it is compared.
func (n Name) Compared() bool { return int(n) < NumCompared }

// Field is the tshark field of the name, e.g. tcp.analysis.retransmission
// (tcp.ack.nonzero for AckNonzero).
func (n Name) Field() string {
	if n == AckNonzero {
		return "tcp.ack.nonzero"
	}
	return "tcp.analysis." + n.String()
}

// ParseName returns the Name whose String is s.
func ParseName(s string) (Name, bool) {
	for n, t := range nameText {
		if t == s {
			return Name(n), true
		}
	}
	return 0, false
}

// Set is a set of Names.
type Set uint32

// comparedMask holds the names that are compared.
const comparedMask Set = 1<<NumCompared - 1

// Add returns s with n in it.
func (s Set) Add(n Name) Set { return s | 1<<n }

// Has reports whether n is in s.
func (s Set) Has(n Name) bool { return s&(1<<n) != 0 }

// Names lists the names in s in schema order.
func (s Set) Names() []Name {
	var ns []Name
	for n := Name(0); n < numNames; n++ {
		if s.Has(n) {
			ns = append(ns, n)
		}
	}
	return ns
}

// String is the names joined by commas in schema order, or "-" for none.
func (s Set) String() string {
	if s == 0 {
		return "-"
	}
	var b strings.Builder
	for i, n := range s.Names() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n.String())
	}
	return b.String()
}
