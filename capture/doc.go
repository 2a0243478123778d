// Package capture reads packet captures and yields TCP segments.
//
// It provides:
//   - Open, which detects the file format from its magic number (classic pcap in
//     either byte order with micro- or nanosecond timestamps, pcapng with any
//     number of interfaces, either of them gzip-compressed, or "-" for stdin);
//   - Reader, which walks one or more inputs as a single capture and decodes every
//     frame into a Segment without allocating in steady state: several inputs
//     are merged by timestamp as mergecap does (merge.go, a streaming k-way
//     merge, one buffered reader per input), or read one after another
//     (Reader.InOrder); each Segment names its file and its frame number in
//     that file besides its number in the capture;
//   - ExpandDirs, which turns a directory of rotated files into its files, in
//     the natural order of their names;
//   - Stats, which counts every frame that did not become a Segment under a named
//     reason, so nothing the user gave is silently dropped;
//   - ReadError, which names the file, the frame's number in that file and the
//     byte offset of a fault;
//   - Reader.Filter, a capture filter (package capture/filter) run on every
//     frame before decoding; the frames it excludes are counted as Filtered;
//   - Frame (Reader.Frame), the bytes of the frame Next read last and the
//     headers the decoder walked in them, for the outputs that show packets;
//     with Reader.AllFrames, Next returns the frames that yield no segment too;
//   - Checksums and ChecksumAt (checksum.go), which verify the IPv4 header
//     and TCP, UDP and ICMP checksums and tell a checksum left to offload;
//   - Reader.Count, which stops after so many frames (tcpdump -c);
//   - OpenLive, a Reader over a network interface (Linux, AF_PACKET, no
//     libpcap; live_linux.go): the filter runs in the kernel, the frames are
//     what libpcap would give (cooked headers on "any", VLAN tags put back,
//     loopback frames once), Next returns ErrTick at least every LiveTick,
//     Halt stops once what the kernel holds is read, the kernel's drops are
//     counted (Stats.KernelDrops), and LiveOptions.Save writes every frame
//     to a pcap or pcapng file (save.go).
//
// Decoding uses gopacket's layers as DecodingLayers where gopacket has them and
// they do not allocate, and small parsers of its own for the link types and
// tunnels it lacks (link.go, tunnel.go), down to the innermost TCP header. The
// decode loop is our own rather than gopacket.DecodingLayerParser because we
// must pick the first layer per frame (pcapng interfaces differ in link type;
// raw IP is v4 or v6 by its first nibble), choose tunnels by UDP port as
// Wireshark does, and track every length field through tunnels and IPv6
// extension headers to compute the TCP segment length the way Wireshark does
// (from the IP header, never beyond the frame, not from the captured bytes).
package capture
