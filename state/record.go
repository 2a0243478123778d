package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Record is what the analysis says about one segment. It holds values only, so a
// report can keep it after the capture's buffers are reused.
type Record struct {
	Frame    uint64
	Time     int64 // ns since the epoch
	Dir      flow.Dir
	Flags    capture.Flags
	Seq, Ack uint32 // absolute, as on the wire
	// RelSeq and RelAck are relative to the sender's and the receiver's base
	// (the ISN when the SYN was seen), as Wireshark shows them.
	RelSeq, RelAck uint32
	Len            int    // TCP payload length on the wire
	Win            uint16 // raw window field
	Urgent         uint16 // urgent pointer, meaningful when URG is set
	HdrLen         uint8  // TCP header length in bytes, options included
	// WinScaled is the window in bytes after applying the sender's window scale,
	// or -1 when the scale is unknown because the handshake was not captured.
	WinScaled int64
	// ScaleAssumed is set when WinScaled applies a shift from the sender's SYN
	// while the peer's SYN was not captured (see Endpoint.Scale).
	ScaleAssumed bool
	Opts         capture.Options
	Truncated    bool
	Analysis     Analysis
	// DupAckNum and DupAckOf are set on duplicate ACKs: the count and the frame
	// of the ACK they duplicate (tcp.analysis.duplicate_ack_num / _frame).
	DupAckNum uint32
	DupAckOf  uint64
	// AckOf is the segment this one acknowledges (tcp.analysis.acks_frame):
	// the oldest unacknowledged segment of the peer that ends exactly at this
	// segment's acknowledgment number; 0 for none. AckRTT is the time from
	// that segment to this one in ns (tcp.analysis.ack_rtt), meaningful only
	// when AckOf is set: it can be 0 (same timestamp) or negative
	// (timestamps going backwards). HasAckRTT says when it is a sample.
	AckRTT   int64
	AckOf    uint64
	InFlight int64 // bytes in flight after this segment; -1 when not computed
	// IPChecksum and TCPChecksum are the segment's checksum statuses.
	IPChecksum, TCPChecksum capture.ChecksumStatus
	// Artifacts are what the segment shows of the capture rather than of
	// the network (state/artifact.go); DupBack, on a DuplicateFrame, is how
	// many frames back its first copy is (DupOf). Both fit in the record's
	// padding.
	Artifacts Artifact
	// SeqJump is set when the segment's sequence number lies that many
	// bytes beyond anything its sender was seen to send, too far to be real
	// (corrupt or crafted; see Conn.hole): it is no gap. AckJump is the same
	// for an acknowledgment beyond anything the peer sent.
	SeqJump, AckJump uint32
	DupBack          uint32

	// FileFrame is the frame's number within its input, File the input's
	// index (capture.Segment): with several inputs merged, Frame counts the
	// merged capture.
	FileFrame uint64
	File      int32

	// Preview is the start of the payload as captured: its first PreviewN
	// bytes (at most PreviewLen, fewer when the segment carries fewer or the
	// snap length cut them), so that an explanation can quote what a
	// segment carries ("a\n", "GET /index.html HTTP/1.1"). It is never the
	// whole payload: the reassembled streams hold that.
	Preview  [PreviewLen]byte
	PreviewN uint8
}

// HasAckRTT reports whether the record carries an ACK RTT sample, exactly
// when Wireshark shows tcp.analysis.ack_rtt: it acknowledges a frame (AckOf)
// and the time since it is not zero.
func (r *Record) HasAckRTT() bool { return r.AckOf != 0 && r.AckRTT != 0 }

// PreviewLen is how many payload bytes a Record keeps (Record.Preview): a
// line of an interactive protocol or a request line, at 32 bytes per
// record wherever records are kept.
const PreviewLen = 32

// PreviewBytes returns the payload bytes the record kept.
func (r *Record) PreviewBytes() []byte { return r.Preview[:r.PreviewN] }
