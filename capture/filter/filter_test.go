package filter

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// TestMatch compiles each expression and checks which frames of the
// catalogue (frames_test.go) it keeps: exactly those listed. A frame whose
// link type the expression cannot be compiled for counts as not kept.
func TestMatch(t *testing.T) {
	cat := catalogue(t)
	tests := []struct {
		expr string
		keep string // frame names, space-separated
	}{
		{"", "arp cut dns frag1 frag2 frag6 get ip4link ip6link loop mdns6 ns6 null null6 null6be opts ping ping6 pong qinq raw raw6 rst sll sll2v6 syn synack tls6 tls6ext vlan"},
		// Protocols. IPv6 "tcp" accepts a fragment header but no other
		// extension header (tls6ext); tagged frames need "vlan".
		{"tcp", "cut get ip4link ip6link loop null null6 null6be opts raw raw6 rst sll sll2v6 syn synack tls6"},
		{"udp", "dns frag1 frag2 frag6 mdns6"},
		{"icmp", "ping pong"},
		{"icmp6", "ns6 ping6"},
		{"arp", "arp"},
		{"ip", "cut dns frag1 frag2 get ip4link loop null opts ping pong raw rst sll syn synack"},
		{"ip6", "frag6 ip6link mdns6 ns6 null6 null6be ping6 raw6 sll2v6 tls6 tls6ext"},
		{"ip proto 17", "dns frag1 frag2"},
		{"ip6 proto 17", "frag6 mdns6"},
		{"proto \\udp", "dns frag1 frag2 frag6 mdns6"},
		{"ether proto \\arp", "arp"},
		{"ether proto 0x86dd", "frag6 ip6link mdns6 ns6 null6 null6be ping6 raw6 sll2v6 tls6 tls6ext"},
		// Ports: only the first IPv4 fragment; IPv6 only with the transport
		// header right after the fixed one (not tls6ext); the source port of
		// cut is there but its destination port is not, so the load fails.
		{"port 80", "frag1 get ip4link loop null opts raw rst sll syn synack"},
		{"tcp port 80", "get ip4link loop null opts raw rst sll syn synack"},
		{"udp port 80", "frag1"},
		{"port 443", "ip6link null6 null6be raw6 sll2v6 tls6"},
		{"src port 51234", "cut get ip4link loop null opts raw sll syn"},
		{"dst port 51234", "rst synack"},
		{"port 53 or 5353", "dns mdns6"},
		{"portrange 1-100", "dns frag1 get ip4link loop null opts raw rst sll syn synack"},
		{"udp src portrange 1024-65535", "dns frag1 mdns6"},
		// Hosts and nets: "host" also matches ARP.
		{"host 192.0.2.10", "arp cut dns frag1 frag2 get ip4link loop null opts ping pong raw rst sll syn synack"},
		{"ip host 192.0.2.10", "cut dns frag1 frag2 get ip4link loop null opts ping pong raw rst sll syn synack"},
		{"src host 192.0.2.10", "arp cut dns frag1 frag2 get ip4link loop null opts ping raw sll syn"},
		{"dst host 192.0.2.10", "pong rst synack"},
		{"host 192.0.2.1", "arp"},
		{"arp dst host 192.0.2.1", "arp"},
		{"src host 192.0.2.10 and dst host 198.51.100.20 and tcp", "cut get ip4link loop null opts raw sll syn"},
		{"net 198.51.100.0/24 and not src net 198.51.100", "cut dns frag1 frag2 get ip4link loop null opts ping raw sll syn"},
		{"net 192.0.0.0 mask 255.255.0.0", "arp cut dns frag1 frag2 get ip4link loop null opts ping pong raw rst sll syn synack"},
		{"host 2001:db8::10", "frag6 ip6link mdns6 ns6 null6 null6be ping6 raw6 sll2v6 tls6 tls6ext"},
		{"dst net 2001:db8:1::/48", "frag6 ip6link mdns6 ns6 null6 null6be ping6 raw6 sll2v6 tls6 tls6ext"},
		{"src net 2001:db8:1::/48", ""},
		// Ethernet addresses (on Ethernet only).
		{"ether dst ff:ff:ff:ff:ff:ff", "arp"},
		{"ether src 02:00:c0:00:02:0a", "arp cut dns frag1 frag2 frag6 get mdns6 ns6 opts ping ping6 pong syn vlan qinq"},
		// VLAN: the tag, its ID, and the tests after it 4 bytes further.
		{"vlan", "qinq vlan"},
		{"vlan 100 and tcp port 80", "vlan"},
		{"vlan 200 and vlan 300 and tcp", "qinq"},
		{"vlan 300", ""},
		{"vlan and vlan", "qinq"},
		// Lengths (on the wire: cut keeps its length).
		{"less 60", "arp dns frag1 frag2 ip4link opts ping pong raw"},
		{"greater 90", "sll2v6 tls6 tls6ext"},
		// Byte tests.
		{"tcp[tcpflags] & tcp-syn != 0", "ip4link loop null raw sll syn synack"},
		{"tcp[tcpflags] = tcp-syn", "ip4link loop null raw sll syn"},
		{"tcp[tcpflags] & (tcp-rst|tcp-fin) != 0", "rst"},
		{"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "get"},
		{"ip[6:2] & 0x1fff != 0", "frag2"},
		{"ip[0] & 0xf > 5", "opts"},
		{"icmp[icmptype] = icmp-echo", "ping"},
		{"icmp6[icmp6type] = icmp6-neighborsolicit", "ns6"},
		{"ip6[6] = 0", "tls6ext"},
		{"ether[12:2] = 0x8100", "vlan"},
		{"udp[2:2] - udp[0:2] = 53 - 53211", "dns"},
		// Ethernet frames without padding (gopacket pads the short ones).
		{"len - 14 = ip[2:2]", "cut get rst syn synack"},
		// and/or/not, qualifier repetition, precedence.
		{"tcp and not port 80", "ip6link null6 null6be raw6 sll2v6 tls6"},
		{"not (tcp or udp or arp) and ip", "ping pong"},
		{"! ip && ! ip6", "arp qinq vlan"},
		{"udp or icmp and host 198.51.100.20", "dns frag1 frag2 ping pong"},
		{"host 192.0.2.10 and 198.51.100.20 and icmp", "ping pong"},
		{"icmp and host 198.51.100.20 or 192.0.2.99", "ping pong"},
		{"port 53 or (5353 or 80) and udp", "dns frag1 mdns6"},
		{"tcp port 80 and not 51234", ""},
	}
	all := names(cat)
	for _, tt := range tests {
		f, err := Compile(tt.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		want := map[string]bool{}
		for _, n := range strings.Fields(tt.keep) {
			if _, ok := cat[n]; !ok {
				t.Fatalf("%q: no frame %q in the catalogue", tt.expr, n)
			}
			want[n] = true
		}
		var extra, missing []string
		for _, n := range all {
			fr := cat[n]
			got, _ := f.Match(fr.link, fr.data, fr.wirelen)
			switch {
			case got && !want[n]:
				extra = append(extra, n)
			case !got && want[n]:
				missing = append(missing, n)
			}
		}
		if extra != nil || missing != nil {
			t.Errorf("%q: kept but should not: %v; not kept but should: %v", tt.expr, extra, missing)
		}
	}
}

// TestParseErrors lists expressions that are refused, with the exact error.
func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, err string }{
		// Forms this package does not support, named with their column.
		{"wlan addr1 x", `filter "wlan addr1 x": "wlan" is not supported (at column 1)`},
		{"tcp and gateway snmp", `filter "tcp and gateway snmp": "gateway" is not supported (at column 9)`},
		{"ether broadcast", `filter "ether broadcast": "broadcast" is not supported (at column 7)`},
		{"ip protochain 6", `filter "ip protochain 6": "protochain" is not supported (at column 4)`},
		{"pppoes and tcp", `filter "pppoes and tcp": "pppoes" is not supported (at column 1)`},
		{"mpls 5", `filter "mpls 5": "mpls" is not supported (at column 1)`},
		{"inbound", `filter "inbound": "inbound" is not supported (at column 1)`},
		{"port http", `filter "port http": "http": port names are not supported, give the number (at column 6)`},
		{"host example.com", `filter "host example.com": "example.com": host names are not supported, give the address (at column 6)`},
		{"ether host gw", `filter "ether host gw": "gw": Ethernet host names are not supported, give the address (at column 12)`},
		{"portrange ftp-http", `filter "portrange ftp-http": "ftp-http": port names are not supported, give numbers (portrange 1024-65535) (at column 11)`},
		{"ah[0] = 1", `filter "ah[0] = 1": unsupported index operation (at column 1)`},
		// Syntax.
		{"tcp and", `filter "tcp and": syntax error: the expression ends after "and" (at column 8)`},
		{"not", `filter "not": syntax error: the expression ends after "not" (at column 4)`},
		{"()", `filter "()": syntax error: unexpected ")" (at column 2)`},
		{"10.0.0.1", `filter "10.0.0.1": syntax error: "10.0.0.1" needs a qualifier before it, such as host, net or port (at column 1)`},
		{"80", `filter "80": syntax error: a comparison (=, !=, <, <=, >, >=) must follow the arithmetic expression (at column 3)`},
		{"tcp or 80", `filter "tcp or 80": syntax error: 80 needs a qualifier before it, such as host or port (at column 8)`},
		{"TCP", `filter "TCP": syntax error: "TCP" needs a qualifier before it, such as host, net or port (at column 1)`},
		{"ip proto tcp", `filter "ip proto tcp": syntax error: unexpected "tcp" (at column 10)`},
		{"port 80 443", `filter "port 80 443": syntax error: unexpected number 443 (at column 9)`},
		{"tcp[13] & 2", `filter "tcp[13] & 2": syntax error: a comparison (=, !=, <, <=, >, >=) must follow the arithmetic expression (at column 12)`},
		{"host 1.2.3.4 $", `filter "host 1.2.3.4 $": unexpected character '$' (at column 14)`},
		{"ether", `filter "ether": "ether" alone is not a filter: say ether host, ether src, ether dst or ether proto (at column 1)`},
		// Values and qualifiers, with libpcap's words.
		{"host 1.2.3.256", `filter "host 1.2.3.256": invalid IPv4 address '1.2.3.256' (at column 6)`},
		{"port 65536", `filter "port 65536": illegal port number 65536 > 65535 (at column 6)`},
		{"port 08", `filter "port 08": number 08 contains non-octal digit (at column 6)`},
		{"port 4294967296", `filter "port 4294967296": number 4294967296 overflows 32 bits (at column 6)`},
		{"tcp host 1.2.3.4", `filter "tcp host 1.2.3.4": 'tcp' modifier applied to host (at column 10)`},
		{"ip6 host 1.2.3.4", `filter "ip6 host 1.2.3.4": 'ip6' modifier applied to ip host (at column 10)`},
		{"ip host ::1", `filter "ip host ::1": 'ip' modifier applied to ip6 host (at column 9)`},
		{"ether host 1.2.3.4", `filter "ether host 1.2.3.4": illegal link layer address (at column 12)`},
		{"host 02:00:00:00:00:01", `filter "host 02:00:00:00:00:01": ethernet address used in non-ether expression (at column 6)`},
		{"host 10.0.0.0/8", `filter "host 10.0.0.0/8": Mask syntax for networks only (at column 6)`},
		{"net 10.1.0.0/8", `filter "net 10.1.0.0/8": non-network bits set in "10.1.0.0/8" (at column 5)`},
		{"net 10.0.0.0/33", `filter "net 10.0.0.0/33": mask length must be <= 32 (at column 5)`},
		{"net 2001:db8::1/32", `filter "net 2001:db8::1/32": non-network bits set in "2001:db8::1/32" (at column 5)`},
		{"host 2001:db8::/32", `filter "host 2001:db8::/32": Mask syntax for networks only (at column 6)`},
		{"port 1.2.3.4", `filter "port 1.2.3.4": 'port' modifier applied to ip host (at column 6)`},
		{"ip port 80", `filter "ip port 80": illegal qualifier of 'port' (at column 9)`},
		{"src proto 6", `filter "src proto 6": syntax error: unexpected "proto" (at column 5)`},
		{"tcp proto 6", `filter "tcp proto 6": 'tcp proto' is bogus (at column 11)`},
		{"arp proto 6", `filter "arp proto 6": arp does not encapsulate another protocol (at column 11)`},
		{"ip proto \\nosuch", `filter "ip proto \\nosuch": unknown ip proto 'nosuch' (at column 10)`},
		{"ether proto \\ipx", `filter "ether proto \\ipx": ether proto 0xe0 (an 802.2 LLC or SNAP protocol) is not supported (at column 13)`},
		{"vlan 4096", `filter "vlan 4096": VLAN tag 4096 greater than maximum 4095 (at column 6)`},
		{"tcp[0:3] = 1", `filter "tcp[0:3] = 1": data size must be 1, 2, or 4 (at column 7)`},
		{"ip[0] / 0 = 1", `filter "ip[0] / 0 = 1": division by zero (at column 7)`},
		{"ip[0] % 0 = 1", `filter "ip[0] % 0 = 1": modulus by zero (at column 7)`},
		{"ip[0] << 32 = 1", `filter "ip[0] << 32 = 1": shift by more than 31 bits (at column 7)`},
		{"ether[0] = 1 or 2", `filter "ether[0] = 1 or 2": syntax error: 2 needs a qualifier before it, such as host or port (at column 17)`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.expr)
		if err == nil {
			t.Errorf("Compile(%q) succeeded, want %s", tt.expr, tt.err)
			continue
		}
		if err.Error() != tt.err {
			t.Errorf("Compile(%q):\n got %s\nwant %s", tt.expr, err, tt.err)
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Compile(%q): error %T is not an *Error", tt.expr, err)
		}
	}
}

// TestLinkErrors: what only some link types lack fails when compiled for
// them, and link types tcpflow does not decode are refused with ErrLinkType.
func TestLinkErrors(t *testing.T) {
	tests := []struct {
		expr string
		link layers.LinkType
		err  string
	}{
		{"vlan and tcp", layers.LinkTypeLinuxSLL, `filter "vlan and tcp": vlan is supported only on Ethernet, not on LINUX_SLL(113) (at column 1)`},
		{"tcp or vlan 5", layers.LinkTypeRaw, `filter "tcp or vlan 5": vlan is supported only on Ethernet, not on RAW(101) (at column 8)`},
		{"ether host 02:00:00:00:00:01", layers.LinkTypeNull, `filter "ether host 02:00:00:00:00:01": Ethernet addresses are supported only on Ethernet, not on NULL(0) (at column 12)`},
		{"tcp", layers.LinkTypeFDDI, `filter "tcp": link type not supported by the capture filter: FDDI(10)`},
	}
	for _, tt := range tests {
		f, err := Compile(tt.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.expr, err)
		}
		_, err = f.For(tt.link)
		if err == nil || err.Error() != tt.err {
			t.Errorf("%q for %s:\n got %v\nwant %s", tt.expr, linkName(tt.link), err, tt.err)
		}
		if _, err := f.For(layers.LinkTypeEthernet); err != nil {
			t.Errorf("%q for Ethernet: %v", tt.expr, err)
		}
	}
	f, _ := Compile("tcp")
	if _, err := f.For(layers.LinkTypeFDDI); !errors.Is(err, ErrLinkType) {
		t.Errorf("For(FDDI): %v, want ErrLinkType", err)
	}
	if ok, err := f.Match(layers.LinkTypeFDDI, []byte{1, 2, 3}, 3); ok || !errors.Is(err, ErrLinkType) {
		t.Errorf("Match(FDDI) = %v, %v; want false, ErrLinkType", ok, err)
	}
}

// TestProgram checks the forms handed to live capture: the accepting
// return gives the snap length, the x/net/bpf instructions assemble to the
// raw form, and x/net/bpf's own VM agrees with Match.
func TestProgram(t *testing.T) {
	cat := catalogue(t)
	f, err := Compile("tcp port 80 and host 192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := f.Program(layers.LinkTypeEthernet, 96)
	if err != nil {
		t.Fatal(err)
	}
	if last := ins[len(ins)-2]; last != (bpf.RetConstant{Val: 96}) {
		t.Errorf("accepting return %v, want ret #96", last)
	}
	raw, err := f.Raw(layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if raw[len(raw)-2].K != DefaultSnaplen {
		t.Errorf("default snap length %d, want %d", raw[len(raw)-2].K, DefaultSnaplen)
	}
	again, err := bpf.Assemble(ins)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(raw) {
		t.Fatalf("reassembled %d instructions, want %d", len(again), len(raw))
	}
	for i := range raw[:len(raw)-2] {
		if again[i] != raw[i] {
			t.Errorf("instruction %d reassembles to %v, want %v", i, again[i], raw[i])
		}
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"syn", "synack", "get", "dns", "arp", "tls6", "vlan"} {
		fr := cat[n]
		n1, err := vm.Run(fr.data)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.Match(fr.link, fr.data, fr.wirelen)
		if (n1 != 0) != got {
			t.Errorf("%s: x/net/bpf VM says %v, Match %v", n, n1 != 0, got)
		}
	}
}

// TestLongJumps: a program longer than a conditional jump reaches (255
// instructions) gets "ja" trampolines and still decides right.
func TestLongJumps(t *testing.T) {
	var parts []string
	for i := 0; i < 150; i++ {
		parts = append(parts, fmt.Sprintf("udp[8:2] = %d", 1000+i))
	}
	expr := "(" + strings.Join(parts, " or ") + ") or tcp[tcpflags] = tcp-rst|tcp-ack"
	f, err := Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.For(layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() < 600 {
		t.Fatalf("program of %d instructions: too short to need trampolines", p.Len())
	}
	ja := 0
	for _, ins := range p.raw {
		if ins.Op == clsJMP|jmpJA {
			ja++
		}
	}
	if ja == 0 {
		t.Error("no trampoline in a program of", p.Len(), "instructions")
	}
	cat := catalogue(t)
	for n, want := range map[string]bool{"rst": true, "syn": false, "dns": false} {
		fr := cat[n]
		if got := p.Match(fr.data, fr.wirelen); got != want {
			t.Errorf("%s: Match = %v, want %v", n, got, want)
		}
	}
}

// TestVM runs hand-written programs through the interpreter: loads past the
// end and division by zero reject; shifts of 32 give 0; len is the wire
// length; NEG negates.
func TestVM(t *testing.T) {
	pkt := []byte{0x45, 0x00, 0x12, 0x34, 0xff}
	retA := bpf.RawInstruction{Op: clsRET | retA}
	tests := []struct {
		name string
		prog []bpf.RawInstruction
		want uint32
		cut  bool
	}{
		{"word in range", []bpf.RawInstruction{{Op: clsLD | mdABS | szW, K: 1}, retA}, 0x001234ff, false},
		{"word past the end", []bpf.RawInstruction{{Op: clsLD | mdABS | szW, K: 2}, retA}, 0, true},
		{"huge offset", []bpf.RawInstruction{{Op: clsLD | mdABS | szB, K: 0xffffffff}, retA}, 0, true},
		{"indirect wraps no", []bpf.RawInstruction{{Op: clsLDX | mdIMM, K: 0xffffffff}, {Op: clsLD | mdIND | szB, K: 2}, retA}, 0, true},
		{"msh", []bpf.RawInstruction{{Op: clsLDX | mdMSH | szB, K: 0}, {Op: clsMISC | miscTXA}, retA}, 20, false},
		{"msh past the end", []bpf.RawInstruction{{Op: clsLDX | mdMSH | szB, K: 5}, retA}, 0, true},
		{"len is the wire length", []bpf.RawInstruction{{Op: clsLD | mdLEN}, retA}, 1500, false},
		{"div by zero X", []bpf.RawInstruction{{Op: clsLD | mdIMM, K: 7}, {Op: clsALU | aluDIV | srcX}, retA}, 0, false},
		{"mod", []bpf.RawInstruction{{Op: clsLD | mdIMM, K: 7}, {Op: clsALU | aluMOD | srcK, K: 4}, retA}, 3, false},
		{"shift 32", []bpf.RawInstruction{{Op: clsLD | mdIMM, K: 7}, {Op: clsLDX | mdIMM, K: 32}, {Op: clsALU | aluLSH | srcX}, retA}, 0, false},
		{"neg", []bpf.RawInstruction{{Op: clsLD | mdIMM, K: 1}, {Op: clsALU | aluNEG}, retA}, 0xffffffff, false},
		{"scratch", []bpf.RawInstruction{{Op: clsLD | mdIMM, K: 9}, {Op: clsST, K: 15}, {Op: clsLD | mdIMM}, {Op: clsLD | mdMEM, K: 15}, retA}, 9, false},
		{"jset", []bpf.RawInstruction{{Op: clsLD | mdABS | szB, K: 4}, {Op: clsJMP | jmpJSET, K: 0x80, Jt: 1}, {Op: clsRET, K: 1}, {Op: clsRET, K: 2}}, 2, false},
	}
	for _, tt := range tests {
		code, err := decode(tt.prog)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got, cut := run(code, pkt, 1500)
		if got != tt.want || cut != tt.cut {
			t.Errorf("%s: run = %#x, cut %v; want %#x, cut %v", tt.name, got, cut, tt.want, tt.cut)
		}
	}
	for _, bad := range [][]bpf.RawInstruction{
		nil,
		{{Op: clsLD | mdIMM}},
		{{Op: clsJMP | jmpJA, K: 1}, retA},
		{{Op: clsJMP | jmpJEQ, Jt: 0, Jf: 1}, retA},
		{{Op: clsST, K: 16}, retA},
		{{Op: clsALU | aluDIV | srcK}, retA},
		{{Op: clsLD | mdABS | 0x18}, retA},
	} {
		if _, err := decode(bad); err == nil {
			t.Errorf("decode(%v) accepted a bad program", bad)
		}
	}
}

// TestInterpreterAgainstXNet runs the programs of the differential
// expressions (those x/net/bpf's VM can run: no unary minus) on the zoo
// with both interpreters; with the wire length equal to the captured
// length they must agree.
func TestInterpreterAgainstXNet(t *testing.T) {
	zoos := zooSources(t)
	for _, expr := range differential {
		f, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		for name, frames := range zoos {
			p, err := f.For(frames[0].link)
			if err != nil {
				continue
			}
			if strings.Contains(expr, "-ip[") {
				continue // x/net/bpf's VM does not run NEG
			}
			ins, _ := p.Instructions(0)
			vm, err := bpf.NewVM(ins)
			if err != nil {
				t.Fatalf("%q: x/net/bpf refuses the program: %v", expr, err)
			}
			for i, fr := range frames {
				if fr.link != p.link {
					continue
				}
				theirs, err := vm.Run(fr.data)
				if err != nil {
					t.Fatalf("%q on %s frame %d: %v", expr, name, i+1, err)
				}
				if ours := p.Match(fr.data, len(fr.data)); ours != (theirs != 0) {
					t.Errorf("%q on %s frame %d: interpreter %v, x/net/bpf %v", expr, name, i+1, ours, theirs != 0)
				}
			}
		}
	}
}

// TestConcurrentUse matches from several goroutines while the per-link
// programs are being compiled.
func TestConcurrentUse(t *testing.T) {
	cat := catalogue(t)
	f, err := Compile("tcp port 80 or icmp6")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range names(cat) {
				fr := cat[n]
				if _, err := f.Match(fr.link, fr.data, fr.wirelen); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for _, n := range []string{"syn", "sll", "raw", "null", "loop", "ip4link", "ns6"} {
		fr := cat[n]
		if ok, _ := f.Match(fr.link, fr.data, fr.wirelen); !ok {
			t.Errorf("%s not kept", n)
		}
	}
}

// BenchmarkMatch runs a typical program on a TCP segment: no allocation.
func BenchmarkMatch(b *testing.B) {
	fr := catalogue(b)["get"]
	f, err := Compile("tcp port 443 and host 10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.For(fr.link)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Match(fr.data, fr.wirelen)
	}
}

// BenchmarkFilterMatch goes through Filter.Match, which looks the program
// up by link type.
func BenchmarkFilterMatch(b *testing.B) {
	fr := catalogue(b)["get"]
	f, err := Compile("tcp port 80 and host 192.0.2.10")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := f.Match(fr.link, fr.data, fr.wirelen); !ok {
			b.Fatal("not kept")
		}
	}
}

// BenchmarkXNetVM runs the program of BenchmarkMatch in golang.org/x/net/bpf's
// VM, for comparison (it cannot replace the interpreter: it takes the
// captured length for BPF_LEN and does not run NEG).
func BenchmarkXNetVM(b *testing.B) {
	fr := catalogue(b)["get"]
	f, err := Compile("tcp port 443 and host 10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	ins, err := f.Program(fr.link, 0)
	if err != nil {
		b.Fatal(err)
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vm.Run(fr.data); err != nil {
			b.Fatal(err)
		}
	}
}
