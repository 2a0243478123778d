// Package flow groups TCP segments into connections.
//
// It provides:
//   - Key, the canonical two-way 4-tuple, a comparable fixed-size map key;
//   - Dir, the direction of a segment within its connection (client to server or
//     back);
//   - Conn, one connection: its id, endpoints, who is client, first and last
//     frames, packet and byte counts, and a slot for the analysis of later stages;
//   - Table, which maps segments to connections, numbers them from 0 in order of
//     first frame exactly as Wireshark numbers tcp.stream, and splits a 4-tuple
//     into a new connection when a port is reused.
package flow
