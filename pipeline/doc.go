// Package pipeline runs an analysis: it reads a capture, tracks its
// connections, analyzes and reassembles them, and hands what it produces to
// sinks, the outputs a command picked.
//
// It provides:
//   - Run, one pass over a capture.Reader with three goroutines: the caller's
//     reads and decodes into recycled batches, a tracker numbers connections
//     (flow.Table), runs their analysis (state.Conn) and reassembly
//     (stream.Streams) and decides when each is finished, and a sink goroutine
//     calls the sinks in order;
//   - Sink, SegmentSink, ByteSink and FrameSink, what an output receives:
//     each finished connection once, each analyzed segment, the reassembled
//     bytes, the frames as captured (Options.Frames selects them; the run
//     copies their bytes only when a FrameSink asks); Forgetter, a sink that
//     keeps nothing of a connection after Finished: when every sink is one,
//     finished connections' analysis state is reused (state.Recycle);
//   - Options, with the bounds that keep memory proportional to what is open
//     whatever the input: MaxConns (connections tracked at once; beyond it the
//     least valuable are finished early as "evicted"), the forgotten
//     connections remembered for numbering, the reassembly buffers, and the
//     segment records of open connections (for the sinks that read them),
//     in memory up to RecordMemory and then in an unlinked temporary file, their
//     room reused once their connection is reported;
//   - Summary, the totals of a run: inputs, frame counts, faults, connections,
//     evictions, continuations;
//   - Collect, a sink that keeps every connection in memory, for tests and
//     small captures;
//   - for a live capture (capture.OpenLive), ticks: at each capture.ErrTick
//     the batch read so far goes to the tracker, which finishes the
//     connections that have lingered long enough, publishes Progress and
//     asks Flusher sinks to write out what they hold; Options.Stop halts
//     the reader, which still reads what the kernel holds.
//
// When is a connection finished: when it closed (a RST, or a FIN each way)
// and has been silent for Options.Linger of capture time; when a SYN reuses
// its 4-tuple; when the cap on tracked connections evicts it; or at the end of
// the input. Connection ids and the frames in each connection do not depend
// on the sinks, nor on the caps as long as the forgotten connections fit in
// their own cap: a segment that comes on a 4-tuple after its connection was
// finished keeps that connection's id, as in Wireshark's tcp.stream, and is
// reported as a continuation (flow.Conn.Part).
package pipeline
