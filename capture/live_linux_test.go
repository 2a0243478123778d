//go:build linux

package capture

import (
	"os"
	"reflect"
	"runtime"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tcpflow/tcpflow/capture/filter"
)

// TestUncook moves a LINUX_SLL2 program to a cooked socket's frames, which
// start at the network layer: loads past the 20-byte header move back by
// 20, the header's fields become the kernel's packet metadata, and what
// cannot be moved leaves the filter to user space (nil).
func TestUncook(t *testing.T) {
	// ip and tcp dst port 80, on LINUX_SLL2 frames.
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 0, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x800, SkipTrue: 8},
		bpf.LoadAbsolute{Off: 29, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 6, SkipTrue: 6},
		bpf.LoadAbsolute{Off: 26, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 4},
		bpf.LoadMemShift{Off: 20},
		bpf.LoadIndirect{Off: 22, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 80, SkipTrue: 1},
		bpf.RetConstant{Val: 1000},
		bpf.RetConstant{Val: 0},
	}
	want := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtProto},
		prog[1],
		bpf.LoadAbsolute{Off: 9, Size: 1},
		prog[3],
		bpf.LoadAbsolute{Off: 6, Size: 2},
		prog[5],
		bpf.LoadMemShift{Off: 0},
		bpf.LoadIndirect{Off: 2, Size: 2},
		prog[8], prog[9], prog[10],
	}
	if got := uncook(prog); !reflect.DeepEqual(got, want) {
		t.Errorf("uncook:\n%v\nwant\n%v", got, want)
	}
	fields := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, bpf.LoadAbsolute{Off: 8, Size: 2}, bpf.LoadAbsolute{Off: 10, Size: 1},
	}
	want = []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtInterfaceIndex}, bpf.LoadExtension{Num: bpf.ExtLinkLayerType}, bpf.LoadExtension{Num: bpf.ExtType},
	}
	if got := uncook(fields); !reflect.DeepEqual(got, want) {
		t.Errorf("uncook(header fields) = %v, want %v", got, want)
	}
	for _, bad := range [][]bpf.Instruction{
		{bpf.LoadAbsolute{Off: 12, Size: 4}}, // the address: no metadata
		{bpf.LoadIndirect{Off: 2, Size: 2}},  // indexed into the header
		{bpf.LoadMemShift{Off: 0}},           // the same
		{bpf.LoadExtension{Num: bpf.ExtLen}}, // counts the header in a file, not in the kernel
		{bpf.LoadAbsolute{Off: 0, Size: 4}},  // protocol and reserved together
	} {
		if got := uncook(bad); got != nil {
			t.Errorf("uncook(%v) = %v, want nil", bad, got)
		}
	}
}

// TestLiveProgram: what the kernel runs before the filter on lo, on "any"
// and on Ethernet, and where the filter runs.
func TestLiveProgram(t *testing.T) {
	accept := bpf.RetConstant{Val: 1000}
	loOut := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 4, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
	}
	anyOut := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 4, SkipFalse: 3},
		bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
	}
	tagged := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtVLANTagPresent},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipTrue: 1},
		accept,
	}
	port, _ := mustFilter(t, "tcp port 80").Program(layers.LinkTypeEthernet, 1000)
	portCooked, _ := mustFilter(t, "tcp port 80").Program(layers.LinkTypeLinuxSLL2, 1000)
	cat := func(parts ...[]bpf.Instruction) []bpf.Instruction {
		var out []bpf.Instruction
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tt := range []struct {
		name           string
		src            *liveSource
		expr           string
		want           []bpf.Instruction
		kernel, inUser bool // where the filter runs
		all            bool // in user space for every frame
	}{
		{"lo", &liveSource{ifindex: 1, lo: 1, info: LiveInfo{Link: layers.LinkTypeEthernet}}, "", cat(loOut, []bpf.Instruction{accept}), false, false, false},
		{"lo filtered", &liveSource{ifindex: 1, lo: 1, info: LiveInfo{Link: layers.LinkTypeEthernet}}, "tcp port 80", cat(loOut, tagged, port), true, true, false},
		{"eth0 filtered", &liveSource{ifindex: 2, lo: -1, info: LiveInfo{Link: layers.LinkTypeEthernet}}, "tcp port 80", cat(tagged, port), true, true, false},
		{"any filtered", &liveSource{lo: 1, cooked: true, info: LiveInfo{Link: layers.LinkTypeLinuxSLL2}}, "tcp port 80", cat(anyOut, uncook(portCooked)), true, false, false},
		{"any by length", &liveSource{lo: 1, cooked: true, info: LiveInfo{Link: layers.LinkTypeLinuxSLL2}}, "greater 100", cat(anyOut, []bpf.Instruction{accept}), false, true, true},
		{"tun", &liveSource{ifindex: 3, lo: -1, info: LiveInfo{Link: layers.LinkTypeRaw}}, "", []bpf.Instruction{accept}, false, false, false},
	} {
		s := tt.src
		s.snaplen = 1000
		var f *filter.Filter
		if tt.expr != "" {
			f = mustFilter(t, tt.expr)
		}
		raw, err := s.program(f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		want, err := bpf.Assemble(tt.want)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(raw, want) {
			got, _ := bpf.Disassemble(raw)
			t.Errorf("%s: program\n%v\nwant\n%v", tt.name, got, tt.want)
		}
		if s.info.KernelFilter != tt.kernel || (s.user != nil) != tt.inUser || s.userAll != tt.all {
			t.Errorf("%s: in the kernel %v, in user space %v (all %v); want %v, %v (%v)", tt.name, s.info.KernelFilter, s.user != nil, s.userAll, tt.kernel, tt.inUser, tt.all)
		}
	}
	s := &liveSource{lo: -1, cooked: true, snaplen: 1000, info: LiveInfo{Link: layers.LinkTypeLinuxSLL2}}
	if _, err := s.program(mustFilter(t, "vlan 100")); err == nil {
		t.Error("vlan on a cooked socket: no error")
	}
}

// BenchmarkLiveLoopback reads frames from a live capture on the loopback
// interface of a network namespace of its own (root only), TCP segments
// written raw in bursts of 64: the cost of a frame through the socket and
// the decoder (the sending included), and that it allocates nothing.
func BenchmarkLiveLoopback(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: a network namespace and a packet socket")
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: []byte{127, 0, 0, 1}, DstIP: []byte{127, 0, 0, 1}}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 9, Seq: 1, ACK: true, PSH: true, Window: 1000}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, tcp, gopacket.Payload(make([]byte, 100))); err != nil {
		b.Fatal(err)
	}
	pkt := buf.Bytes()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends in its namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			b.Error(err)
			return
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
		if err != nil {
			b.Error(err)
			return
		}
		defer unix.Close(fd)
		ifr, _ := unix.NewIfreq("lo")
		unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr)
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
			b.Error(err)
			return
		}
		r, err := OpenLive("lo", LiveOptions{Filter: mustFilter(b, "tcp dst port 9")})
		if err != nil {
			b.Error(err)
			return
		}
		defer r.Close()
		to := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
		var seg Segment
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i += 64 {
			// In bursts, as traffic comes: the reads find frames waiting.
			n := min(64, b.N-i)
			for range n {
				if err := unix.Sendto(fd, pkt, 0, to); err != nil {
					b.Error(err)
					return
				}
			}
			for range n {
				for err := r.Next(&seg); err != nil; err = r.Next(&seg) {
					if err != ErrTick {
						b.Error(err)
						return
					}
				}
			}
		}
		b.StopTimer()
		if r.Stats.TCP != uint64(b.N) {
			b.Errorf("%d TCP segments, want %d", r.Stats.TCP, b.N)
		}
	}()
	<-done
}
