package state

// Analysis is the set of Wireshark-style expert findings for one segment.
type Analysis uint32

// Findings, each with the meaning of Wireshark's tcp.analysis.<name> field
// (AckNonzero: its tcp.ack.nonzero).
const (
	Retransmission Analysis = 1 << iota
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
	// AckNonzero is Wireshark's expert note tcp.ack.nonzero (not a
	// tcp.analysis field): the acknowledgment number field is not zero
	// while the ACK flag is not set, a mark of crafted or scanning traffic.
	AckNonzero
	numAnalysis = iota
)

var analysisNames = [numAnalysis]string{
	"retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
	"lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
	"zero_window_probe_ack", "window_full", "window_update", "keep_alive", "keep_alive_ack",
	"reused_ports", "ack_nonzero",
}

var analysisText = [numAnalysis]string{
	"retransmission", "fast retransmission", "spurious retransmission", "out of order",
	"previous segment not captured", "ACKed segment that was not captured", "duplicate ACK", "zero window",
	"zero window probe", "zero window probe ACK", "window full", "window update", "keep-alive",
	"keep-alive ACK", "ports reused", "acknowledgment number set without the ACK flag",
}

var allAnalysis = func() []Analysis {
	all := make([]Analysis, numAnalysis)
	for i := range all {
		all[i] = 1 << i
	}
	return all
}()

// AllAnalysis lists every finding in report order. The slice is shared: do
// not modify it.
func AllAnalysis() []Analysis { return allAnalysis }

// Names returns the Wireshark field names of the findings in a, in a fixed order.
func (a Analysis) Names() []string {
	names := make([]string, 0, 2)
	for i := 0; i < numAnalysis; i++ {
		if a&(1<<i) != 0 {
			names = append(names, analysisNames[i])
		}
	}
	return names
}

// Name is the Wireshark field name of a single finding.
func (a Analysis) Name() string { return a.Names()[0] }

// Text is the findings in words, comma-separated.
func (a Analysis) Text() string { return string(a.AppendText(nil)) }

// AppendText appends Text() to b.
func (a Analysis) AppendText(b []byte) []byte {
	first := true
	for i := 0; i < numAnalysis; i++ {
		if a&(1<<i) != 0 {
			if !first {
				b = append(b, ", "...)
			}
			first = false
			b = append(b, analysisText[i]...)
		}
	}
	return b
}

// Index is the position of a single finding in AllAnalysis, for count arrays.
func (a Analysis) Index() int {
	for i := 0; i < numAnalysis; i++ {
		if a == 1<<i {
			return i
		}
	}
	return -1
}

// NumAnalysis is the number of distinct findings.
const NumAnalysis = numAnalysis
