package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcodes (pcap/bpf.h, linux/filter.h). golang.org/x/net/bpf
// keeps its own unexported; the compiler and the interpreter need them as
// numbers.
const (
	clsLD   = 0x00
	clsLDX  = 0x01
	clsST   = 0x02
	clsSTX  = 0x03
	clsALU  = 0x04
	clsJMP  = 0x05
	clsRET  = 0x06
	clsMISC = 0x07

	szW = 0x00
	szH = 0x08
	szB = 0x10

	mdIMM = 0x00
	mdABS = 0x20
	mdIND = 0x40
	mdMEM = 0x60
	mdLEN = 0x80
	mdMSH = 0xa0

	aluADD = 0x00
	aluSUB = 0x10
	aluMUL = 0x20
	aluDIV = 0x30
	aluOR  = 0x40
	aluAND = 0x50
	aluLSH = 0x60
	aluRSH = 0x70
	aluNEG = 0x80
	aluMOD = 0x90
	aluXOR = 0xa0

	jmpJA   = 0x00
	jmpJEQ  = 0x10
	jmpJGT  = 0x20
	jmpJGE  = 0x30
	jmpJSET = 0x40

	srcK = 0x00
	srcX = 0x08

	retK = 0x00
	retA = 0x10

	miscTAX = 0x00
	miscTXA = 0x80

	memWords = 16 // scratch memory cells
)

// sizeCode maps a load size in bytes to its opcode bits.
func sizeCode(size int) uint16 {
	switch size {
	case 4:
		return szW
	case 2:
		return szH
	}
	return szB
}

// item is an instruction whose jumps name labels, or (isLabel) a label:
// the position of the next instruction.
type item struct {
	isLabel bool
	label   int
	op      uint16
	k       uint32
	jt, jf  int // labels of a conditional jump; jt alone for ja
}

// asm collects items and lays them out as a program.
type asm struct {
	items  []item
	labels int
}

func (a *asm) newLabel() int { a.labels++; return a.labels }

func (a *asm) place(l int) { a.items = append(a.items, item{isLabel: true, label: l}) }

func (a *asm) stmt(op uint16, k uint32) { a.items = append(a.items, item{op: op, k: k}) }

// jump emits a conditional jump: to t when the condition holds, else to f.
func (a *asm) jump(op uint16, k uint32, t, f int) {
	a.items = append(a.items, item{op: clsJMP | op, k: k, jt: t, jf: f})
}

func (a *asm) ja(l int) { a.items = append(a.items, item{op: clsJMP | jmpJA, jt: l}) }

// assemble resolves the labels. A conditional jump reaches at most 255
// instructions ahead; a longer one is sent to a "ja" placed right after it
// (where nothing falls through, since a conditional jump always jumps), and
// the layout is redone until every jump fits. Jumps only go forward.
func (a *asm) assemble() ([]bpf.RawInstruction, error) {
	items := a.items
	for {
		pos := make(map[int]int, a.labels)
		n := 0
		for _, it := range items {
			if it.isLabel {
				pos[it.label] = n
			} else {
				n++
			}
		}
		out := make([]bpf.RawInstruction, 0, n)
		var fixed []item
		grew := false
		for _, it := range items {
			if it.isLabel {
				fixed = append(fixed, it)
				continue
			}
			i := len(out)
			ins := bpf.RawInstruction{Op: it.op, K: it.k}
			if it.op&0x07 == clsJMP {
				if it.op == clsJMP|jmpJA {
					off, ok := pos[it.jt]
					if !ok || off <= i {
						return nil, fmt.Errorf("jump to label %d", it.jt)
					}
					ins.K = uint32(off - i - 1)
				} else {
					dt, okt := pos[it.jt]
					df, okf := pos[it.jf]
					if !okt || !okf || dt <= i || df <= i {
						return nil, fmt.Errorf("jump to labels %d, %d", it.jt, it.jf)
					}
					dt, df = dt-i-1, df-i-1
					if dt > 255 || df > 255 {
						// Trampolines right after this jump.
						var tramp []item
						if dt > 255 {
							l := a.newLabel()
							tramp = append(tramp, item{isLabel: true, label: l}, item{op: clsJMP | jmpJA, jt: it.jt})
							it.jt = l
						}
						if df > 255 {
							l := a.newLabel()
							tramp = append(tramp, item{isLabel: true, label: l}, item{op: clsJMP | jmpJA, jt: it.jf})
							it.jf = l
						}
						fixed = append(fixed, it)
						fixed = append(fixed, tramp...)
						grew = true
						out = append(out, ins)
						continue
					}
					ins.Jt, ins.Jf = uint8(dt), uint8(df)
				}
			}
			fixed = append(fixed, it)
			out = append(out, ins)
		}
		if !grew {
			return out, nil
		}
		items = fixed
	}
}
