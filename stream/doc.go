// Package stream reassembles the bytes each side of a TCP connection sent.
//
// It provides:
//   - Reassembler, one gopacket/reassembly Assembler serving a whole run,
//     keyed by connection id so that a reused 4-tuple never mixes two
//     sessions;
//   - Streams, both directions of one connection: stream offsets, gaps
//     (including data the peer acknowledged but the capture never showed),
//     retransmitted bytes compared with what was delivered (differing
//     overlaps), SHA-256 of each direction, and the application protocol each
//     starts with (package appproto);
//   - Sink, which receives the bytes in order as they are delivered, and the
//     gaps between them.
//
// gopacket does the ordering, the buffering behind gaps and the trimming of
// retransmitted bytes; this package adds what a post-mortem needs and
// gopacket lacks (see stream.go).
package stream
