// Package state infers what each TCP endpoint is doing from the segments seen on
// the wire.
//
// It provides:
//   - Seq, sequence-number arithmetic that is safe across the 2^32 wrap;
//   - State, the RFC 9293 connection states with names and predicates;
//   - Conn, the per-connection analysis: both endpoints' state machines, ISNs,
//     relative sequence numbers, negotiated options (MSS, window scale, SACK,
//     timestamps), the handshake RTT, and one Record per segment;
//   - Transition, a state change with the frame that caused it and why.
//
// gopacket's reassembly.TCPSimpleFSM is not used: it accepts only in-order
// segments, checks no sequence numbers, ignores RST and models a single
// endpoint, while an observer on the wire must follow two endpoints through
// retransmissions, reordering, simultaneous open and close, and resets.
//
// Nothing here prints: results are plain values for the report package.
package state
