// Package flow groups TCP segments into connections.
//
// It provides:
//   - Key, the canonical two-way 4-tuple, a comparable fixed-size map key;
//   - Dir, the direction of a segment within its connection (client to server
//     or back), which also names the endpoint that sends it (Client, Server);
//   - Seq, sequence-number arithmetic that is safe across the 2^32 wrap;
//   - Conn, one connection: its id (and part, for a continuation), endpoints,
//     who is client and by which rule, first and last frames, packet and byte
//     counts, and a slot for the analysis of later stages;
//   - Table, which maps segments to connections, numbers them from 0 in order
//     of first frame exactly as Wireshark numbers tcp.stream, splits a 4-tuple
//     into a new connection when a port is reused, remembers finished
//     connections in a few bytes each so that later segments keep their id,
//     and keeps the connections in eviction order (closed, one-sided, the
//     rest; least recently active first) for a run that must make room.
//
// Reassembly is in package stream, protocol recognition in appproto.
package flow
