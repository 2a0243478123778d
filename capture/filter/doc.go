// Package filter compiles capture filters written in tcpdump's language
// (pcap-filter(7)) into classic BPF, in pure Go, and runs them.
//
// It provides:
//   - Compile, which parses an expression once ("host 10.0.0.1 and port
//     443", "tcp[tcpflags] & tcp-syn != 0", "vlan 100 and net 2001:db8::/32")
//     and reports what it cannot take, with the column;
//   - Filter.For, Filter.Program and Filter.Raw, which compile it for a link
//     type (Ethernet, Linux SLL and SLL2, raw IP, LINKTYPE_IPV4/IPV6,
//     BSD NULL and LOOP) into golang.org/x/net/bpf instructions or the raw
//     form the kernel's SO_ATTACH_FILTER takes;
//   - Filter.Match and Program.Match, which run a program on a frame with
//     an interpreter that allocates nothing.
//
// The programs keep exactly the frames tcpdump (libpcap 1.10) keeps from a
// file: the code generator follows libpcap's gencode.c test for test (see
// gen.go for the rules that surprise: ports match only first IPv4
// fragments and IPv6 without extension headers, "host" matches ARP,
// "vlan" shifts every later test). A differential test checks this
// against tcpdump on every capture of the project and of the corpus.
//
// No package offered this without cgo: gopacket's pcap and other bindings
// call libpcap; golang.org/x/net/bpf assembles and runs BPF but does not
// parse filters; github.com/packetcap/go-pcap's filter package handles
// Ethernet only at fixed offsets (no VLAN, no tcp[] expressions, no other
// link types) and uses 8-bit jumps that break on long programs.
package filter
