// Package craft builds TCP conversations packet by packet and writes them as
// captures, for tests and for the generators in tools/.
//
// It provides:
//   - Wire, a clock and a capture point: it frames each packet, serializes
//     it with gopacket (lengths and checksums computed) and hands it to a
//     PacketWriter, stamped with a time that moves only by Advance;
//   - Conn and Endpoint, a connection whose two sides track their own
//     sequence and acknowledgment numbers, windows, timestamps and
//     out-of-order data, so a test says c.Client(SYN, LinuxSYN(1460, 7)),
//     c.Server(SYN|ACK, ...), c.Client(PSH|ACK, Payload(req)) and the numbers
//     follow; Fields such as Seq, Ack, Window, TS, Lost and Dropped override
//     them for retransmissions, gaps, reordering and resets, and
//     Endpoint.Delay places the capture point between the two ends;
//   - Link and Framing: Ethernet, 802.1Q, QinQ, 802.3 with LLC/SNAP, Linux
//     SLL and SLL2, raw IP, BSD NULL, Cisco HDLC, FDDI, IPoIB, NFLOG, 802.11,
//     radiotap, PPP (HDLC-like and Cisco framing), PPPoE, Linux ARCNET and
//     Juniper's Ethernet captures, chosen per packet, and IPv6 extension headers
//     (Conn.IPv6Ext); a Link can also carry packets in a tunnel (Link.Tunnel,
//     with Raw for headers gopacket cannot write), fragment them (MTU), leave
//     the IPv4 length to TSO, pad, cut (Snap) or damage them (Edit);
//   - BigEndianWriter and ResolNgWriter, for the file variants pcapgo cannot
//     write (big-endian pcap; pcapng interfaces with their own if_tsresol).
//     pcapgo.Writer, pcapgo.NgWriter and compress/gzip cover the rest.
//
// Everything is deterministic: the same calls give the same bytes. The
// per-packet path reuses one serialize buffer and one set of layers.
package craft
