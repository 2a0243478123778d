// Package state infers what each TCP endpoint is doing from the segments seen on
// the wire.
//
// It provides:
//   - State, the RFC 9293 connection states with names and predicates;
//   - Conn, the per-connection analysis: both endpoints' state machines, ISNs,
//     relative sequence numbers, negotiated options (MSS, window scale, SACK,
//     timestamps), the handshake RTT, Wireshark's expert findings per segment
//     (analyze.go), per-direction health facts (summary.go), Zeek's
//     conn_state and history (zeek.go), and one Record per segment;
//   - Records, a connection's records, kept in memory up to a block and
//     spilled to the run's spool beyond (the spool itself is the caller's);
//   - Transition, a state change with the frame that caused it and why;
//   - Walk, what each segment does in the conversation (how far its ACK
//     moves and what that covers, pure, piggybacked or delayed ACKs, window
//     changes, half-close), for explanations.
//
// The run loop that feeds connections is package pipeline; sequence numbers
// and directions are flow.Seq and flow.Dir.
//
// gopacket's reassembly.TCPSimpleFSM is not used: it accepts only in-order
// segments, checks no sequence numbers, ignores RST and models a single
// endpoint, while an observer on the wire must follow two endpoints through
// retransmissions, reordering, simultaneous open and close, and resets.
//
// Nothing here prints: results are plain values for the report package.
package state
