package filter

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

// run executes a classic BPF program on a frame, as libpcap's bpf_filter
// and the Linux kernel do: a load past the captured bytes, or a division by
// a zero X, ends the program with 0 (reject); BPF_LEN is the length on the
// wire. It allocates nothing.
//
// golang.org/x/net/bpf has a VM, but it cannot run these programs: its
// BPF_LEN is the captured length (so "less"/"greater" and "len" would be
// wrong on frames the snap length cut), and it does not implement BPF_NEG
// (unary minus). The programs are checked by validate before they run here.
// cut reports that the program ended on a load past the captured bytes.
func run(prog []bpf.RawInstruction, pkt []byte, wirelen uint32) (ret uint32, cut bool) {
	var a, x uint32
	var mem [memWords]uint32
	n := uint32(len(pkt))
	// load reads size bytes at off, or reports that they are not there.
	load := func(off uint64, size uint32) (uint32, bool) {
		if off+uint64(size) > uint64(n) {
			return 0, false
		}
		switch size {
		case 4:
			return binary.BigEndian.Uint32(pkt[off:]), true
		case 2:
			return uint32(binary.BigEndian.Uint16(pkt[off:])), true
		}
		return uint32(pkt[off]), true
	}
	for pc := 0; pc < len(prog); pc++ {
		ins := &prog[pc]
		k := ins.K
		switch ins.Op {
		case clsRET | retK:
			return k, false
		case clsRET | retA:
			return a, false
		case clsLD | mdABS | szW, clsLD | mdABS | szH, clsLD | mdABS | szB:
			v, ok := load(uint64(k), loadSize(ins.Op))
			if !ok {
				return 0, true
			}
			a = v
		case clsLD | mdIND | szW, clsLD | mdIND | szH, clsLD | mdIND | szB:
			v, ok := load(uint64(x)+uint64(k), loadSize(ins.Op))
			if !ok {
				return 0, true
			}
			a = v
		case clsLD | mdLEN | szW:
			a = wirelen
		case clsLDX | mdLEN | szW:
			x = wirelen
		case clsLD | mdIMM:
			a = k
		case clsLDX | mdIMM:
			x = k
		case clsLDX | mdMSH | szB:
			v, ok := load(uint64(k), 1)
			if !ok {
				return 0, true
			}
			x = (v & 0xf) << 2
		case clsLD | mdMEM:
			a = mem[k]
		case clsLDX | mdMEM:
			x = mem[k]
		case clsST:
			mem[k] = a
		case clsSTX:
			mem[k] = x
		case clsJMP | jmpJA:
			pc += int(k)
		case clsJMP | jmpJEQ | srcK:
			pc += branch(a == k, ins)
		case clsJMP | jmpJGT | srcK:
			pc += branch(a > k, ins)
		case clsJMP | jmpJGE | srcK:
			pc += branch(a >= k, ins)
		case clsJMP | jmpJSET | srcK:
			pc += branch(a&k != 0, ins)
		case clsJMP | jmpJEQ | srcX:
			pc += branch(a == x, ins)
		case clsJMP | jmpJGT | srcX:
			pc += branch(a > x, ins)
		case clsJMP | jmpJGE | srcX:
			pc += branch(a >= x, ins)
		case clsJMP | jmpJSET | srcX:
			pc += branch(a&x != 0, ins)
		case clsALU | aluNEG:
			a = -a
		case clsMISC | miscTAX:
			x = a
		case clsMISC | miscTXA:
			a = x
		default:
			if ins.Op&0x07 != clsALU {
				return 0, false // validate refuses these; never reached
			}
			v := k
			if ins.Op&srcX != 0 {
				v = x
			}
			switch ins.Op &^ (0x07 | srcX) {
			case aluADD:
				a += v
			case aluSUB:
				a -= v
			case aluMUL:
				a *= v
			case aluDIV:
				if v == 0 {
					return 0, false
				}
				a /= v
			case aluMOD:
				if v == 0 {
					return 0, false
				}
				a %= v
			case aluAND:
				a &= v
			case aluOR:
				a |= v
			case aluXOR:
				a ^= v
			case aluLSH:
				a <<= v // Go gives 0 for shifts of 32 and more, as libpcap does
			case aluRSH:
				a >>= v
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

func loadSize(op uint16) uint32 {
	switch op & 0x18 {
	case szW:
		return 4
	case szH:
		return 2
	}
	return 1
}

func branch(cond bool, ins *bpf.RawInstruction) int {
	if cond {
		return int(ins.Jt)
	}
	return int(ins.Jf)
}

// validate checks that run can execute prog safely: known opcodes, jumps
// inside the program, scratch cells in range, and a return at the end.
func validate(prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return fmt.Errorf("empty program")
	}
	for i, ins := range prog {
		left := len(prog) - i - 1
		switch ins.Op & 0x07 {
		case clsJMP:
			if ins.Op == clsJMP|jmpJA {
				if uint64(ins.K) >= uint64(left) {
					return fmt.Errorf("instruction %d jumps past the end", i)
				}
			} else if int(ins.Jt) >= left || int(ins.Jf) >= left {
				return fmt.Errorf("instruction %d jumps past the end", i)
			}
		case clsLD, clsLDX, clsST, clsSTX:
			if (ins.Op&0xe0 == mdMEM || ins.Op&0x07 == clsST || ins.Op&0x07 == clsSTX) && ins.K >= memWords {
				return fmt.Errorf("instruction %d uses scratch cell %d", i, ins.K)
			}
		}
	}
	if last := prog[len(prog)-1].Op; last != clsRET|retK && last != clsRET|retA {
		return fmt.Errorf("the program does not end with a return")
	}
	return nil
}
