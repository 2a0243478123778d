package pipeline

import (
	"github.com/tcpflow/tcpflow/capture"
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
// connections (it implies Options.Reassemble). The bytes are valid only
// during the call.
type ByteSink interface {
	Sink
	stream.Sink
}

// RecordSink is a Sink that reads each connection's Records in Finished
// (timelines, JSON segments, explanations): the run keeps them while the
// connection is open.
type RecordSink interface {
	Sink
	NeedsRecords() bool
}

// Summary is what a run counted.
type Summary struct {
	Inputs []capture.Input
	Stats  capture.Stats
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
	// Interrupted is set when Options.Stop ended the run before the end of
	// the input: everything read before is in the report.
	Interrupted bool
}
