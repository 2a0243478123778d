package filter

import (
	"encoding/binary"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// fuzzLinks are the link types programs are compiled for.
var fuzzLinks = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}

// FuzzCompile compiles any expression and runs what compiles on any frame
// of any link type: the parser and compiler never panic, a program never
// reads outside the frame (the interpreter never panics), and it keeps
// exactly the frames golang.org/x/net/bpf's VM keeps (when that VM can run
// it: no negation).
func FuzzCompile(f *testing.F) {
	cat := catalogue(f)
	names := make([]string, 0, len(cat))
	for n := range cat {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, expr := range differential {
		fr := cat[names[i%len(names)]]
		f.Add(expr, uint8(linkIndex(fr.link)), fr.data)
	}
	f.Add("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", uint8(0), []byte{})
	f.Add("ip[100000] = 1 or ether[-1:4] = 2", uint8(0), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, expr string, li uint8, data []byte) {
		flt, err := Compile(expr)
		if err != nil {
			return
		}
		link := fuzzLinks[int(li)%len(fuzzLinks)]
		p, err := flt.For(link)
		if err != nil {
			return
		}
		ours := p.Match(data, len(data))
		if strings.Contains(expr, "-") || len(data) == 0 {
			return // x/net/bpf does not run NEG; it accepts no bytes of an empty frame
		}
		ins, err := p.Instructions(0)
		if err != nil {
			return // longer than the kernel takes
		}
		vm, err := bpf.NewVM(ins)
		if err != nil {
			t.Fatalf("%q on %v: x/net/bpf refuses the program: %v", expr, link, err)
		}
		theirs, err := vm.Run(data)
		if err != nil {
			t.Fatalf("%q on %v: x/net/bpf: %v", expr, link, err)
		}
		if ours != (theirs != 0) {
			t.Fatalf("%q on %v frame % x: interpreter %v, x/net/bpf %v", expr, link, data, ours, theirs != 0)
		}
	})
}

func linkIndex(l layers.LinkType) int {
	for i, x := range fuzzLinks {
		if x == l {
			return i
		}
	}
	return 0
}

// FuzzVM decodes any classic BPF program (8 bytes an instruction) and runs
// what decode accepts on any frame: no panic, and the result x/net/bpf's VM
// gives whenever it runs the program too (a frame it accepts bytes of).
func FuzzVM(f *testing.F) {
	asm := func(ins ...bpf.Instruction) []byte {
		raw, err := bpf.Assemble(ins)
		if err != nil {
			f.Fatal(err)
		}
		var b []byte
		for _, r := range raw {
			b = binary.BigEndian.AppendUint16(b, r.Op)
			b = append(b, r.Jt, r.Jf)
			b = binary.BigEndian.AppendUint32(b, r.K)
		}
		return b
	}
	f.Add(asm(bpf.LoadAbsolute{Off: 12, Size: 2}, bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x800, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff}, bpf.RetConstant{Val: 0}), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8, 0})
	f.Add(asm(bpf.LoadMemShift{Off: 14}, bpf.LoadIndirect{Off: 16, Size: 4}, bpf.ALUOpX{Op: bpf.ALUOpDiv},
		bpf.StoreScratch{Src: bpf.RegA, N: 3}, bpf.LoadScratch{Dst: bpf.RegX, N: 3}, bpf.TXA{}, bpf.RetA{}), make([]byte, 40))
	f.Fuzz(func(t *testing.T, prog, data []byte) {
		var raw []bpf.RawInstruction
		for p := prog; len(p) >= 8 && len(raw) < 4096; p = p[8:] {
			raw = append(raw, bpf.RawInstruction{Op: binary.BigEndian.Uint16(p), Jt: p[2], Jf: p[3], K: binary.BigEndian.Uint32(p[4:])})
		}
		code, err := decode(raw)
		if err != nil {
			return
		}
		ret, _ := run(code, data, uint32(len(data)))
		ins, ok := bpf.Disassemble(raw)
		if !ok || len(data) == 0 || ldxLen(raw) {
			return
		}
		vm, err := bpf.NewVM(ins)
		if err != nil {
			return // a program x/net/bpf refuses (NEG, ...)
		}
		theirs, err := vm.Run(data)
		if err != nil {
			return
		}
		if theirs != int(ret) {
			t.Fatalf("program % x on % x: %d, x/net/bpf %d", prog, data, ret, theirs)
		}
	})
}

// ldxLen reports whether a program has "ldx #len" (BPF_LDX|BPF_W|BPF_LEN),
// which loads the packet length into X, as the kernel runs it and as our VM
// does; x/net/bpf disassembles it as a load of the length into A
// (LoadExtension{Num: ExtLen}), so the two cannot be compared on it
// (TestLdxLen checks ours).
func ldxLen(raw []bpf.RawInstruction) bool {
	for _, r := range raw {
		if r.Op&0x07 == 0x01 && r.Op&0xe0 == 0x80 {
			return true
		}
	}
	return false
}

// TestLdxLen: "ldx #len; txa; ret a" returns the packet's length, as in the
// kernel (the fuzzer found x/net/bpf loading A instead).
func TestLdxLen(t *testing.T) {
	raw := []bpf.RawInstruction{{Op: 0x81}, {Op: 0x87}, {Op: 0x16}}
	code, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ret, _ := run(code, []byte("0123"), 4); ret != 4 {
		t.Errorf("ldx #len; txa; ret a on 4 bytes: %d, want 4", ret)
	}
}
