package pipeline

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// Connection is a connection together with its analysis, as sinks see it.
type Connection = state.Connection

// Sink is an output of a run. Its methods are called from one goroutine (not
// the caller's), in the order things happened: a connection's segments and
// bytes before its Finished, every Finished before End.
type Sink interface {
	// Finished receives each selected connection once it is finished, with
	// its analysis complete (state.Conn.Finish has run). The connection and
	// its records are valid only during the call: copy what you keep.
	Finished(c *Connection) error
	// End receives the run's totals after the last connection. It is called
	// even when the run stopped early (an error, Options.Stop).
	End(s *Summary) error
}

// SegmentSink is a Sink that also receives each segment of a selected
// connection as it is analyzed, with the state transitions it caused. During
// Segment only the connection's identity (ID, Part, Key, Client, Server,
// FirstFrame, FirstTime) may be read: the rest is still changing.
type SegmentSink interface {
	Sink
	Segment(c *Connection, r *state.Record, trans []state.Transition) error
}

// ByteSink is a Sink that also receives the reassembled bytes of selected
// connections (it implies Options.Reassemble), as stream.Sink does but with
// the connection (its part, for one: a continuation's bytes are another
// stream). The bytes are valid only during the call.
type ByteSink interface {
	Sink
	Data(c *Connection, d flow.Dir, off int64, b []byte, frame uint64, t int64)
	Gap(c *Connection, d flow.Dir, off, n int64, frame uint64, kind stream.GapKind)
}

// A Forgetter is a Sink that keeps nothing of a connection once Finished
// has returned (it renders what it needs there and then, as every output of
// tcpflow does). When every sink of a run is one, the run reuses finished
// connections' analysis state (state.Recycle); a sink that keeps
// connections (Collect) is not one, and nothing is reused.
type Forgetter interface {
	Sink
	ForgetsConnections()
}

// RecordSink is a Sink that reads each connection's Records in Finished
// (timelines, JSON segments, explanations): the run keeps them while the
// connection is open.
type RecordSink interface {
	Sink
	NeedsRecords() bool
}

// FrameSink is a Sink that also receives frames as they were captured, for
// the outputs that show packets one by one (a dissection, tcpdump's lines):
// the frames Options.Frames selects, in frame order, each with the
// connection its segment belongs to. Without Options.Select that is every
// frame the capture filter keeps, TCP or not; with it, only the frames of
// selected connections. Asking for frames makes the run copy each selected
// frame's bytes.
type FrameSink interface {
	Sink
	// Frame receives one frame. It and everything it refers to are valid
	// only during the call; as for SegmentSink, only the connection's
	// identity may be read.
	Frame(f *Frame) error
}

// Frame is what a FrameSink receives for one frame.
type Frame struct {
	capture.Frame
	// Conn is the selected connection the frame belongs to, and Dir the
	// direction of its segment; nil for a frame that is not a segment
	// (ARP, UDP, a fragment held for reassembly, ...) or, without a
	// selection, an ICMP error quoting too little to name a connection.
	Conn *Connection
	Dir  flow.Dir
	// Record is the segment's analysis: relative numbers, scaled window,
	// findings. nil when the frame is no analyzed segment (not TCP, an ICMP
	// error quoting a segment, a bogus TCP header).
	Record *state.Record
}

// Flusher is a Sink that buffers what it writes. On a live capture Flush
// is called at every tick (capture.LiveTick), after the events before it,
// so that what was written reaches its reader while the capture goes on.
type Flusher interface {
	Sink
	Flush() error
}

// Summary is what a run counted.
type Summary struct {
	Inputs []capture.Input
	Stats  capture.Stats
	// Filter is the capture filter's expression (Reader.Filter), "" for none.
	Filter string
	// Errors lists a *capture.ReadError for each faulty input, in input
	// order, and any other error that ended reading.
	Errors []error
	// Conns is the number of connection ids given (Wireshark's tcp.stream
	// count); Selected of them were analyzed and reported.
	Conns, Selected int
	// Parts counts continuations: connections finished and then seen again
	// (flow.Conn.Part > 0), each reported as one more part.
	Parts int
	// Evicted counts connections finished while open to stay within
	// Options.MaxConns; EvictedOpen of them had completed a handshake or
	// carried data, the rest were half-open or one-sided.
	Evicted, EvictedOpen int
	// Forgotten is how many finished connections were remembered for
	// numbering at the end; ForgottenDropped were dropped for the cap, after
	// which a later segment on their 4-tuple got a new id.
	Forgotten, ForgottenDropped int
	// MaxOpen is the most connections tracked at once.
	MaxOpen int
	// SeqJumps and AckJumps count, over the selected connections, the
	// sequence and acknowledgment numbers too far beyond anything seen to
	// be real (state.Damage).
	SeqJumps, AckJumps int
	// Quality sums the capture-quality facts of the selected connections
	// (duplicated frames, one-sided connections, data-only captures).
	Quality state.Quality
	// Interrupted is set when Options.Stop ended the run before the end of
	// the input: everything read before is in the report.
	Interrupted bool
}
