package filter

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// DefaultSnaplen is what the accepting return of a program gives when no
// snap length is asked for: libpcap's default (tcpdump -d shows
// "ret #262144").
const DefaultSnaplen = 262144

// MaxInstructions is the longest program the Linux kernel attaches with
// SO_ATTACH_FILTER (BPF_MAXINSNS).
const MaxInstructions = 4096

// Filter is a parsed capture filter expression. It compiles the expression
// for a link type the first time a frame of that type is matched and keeps
// the program. It is safe for concurrent use.
type Filter struct {
	expr string
	root node

	mu    sync.Mutex               // held while adding to progs
	progs atomic.Pointer[[]linked] // copy on write: Match reads without locking
}

type linked struct {
	link layers.LinkType
	prog *Program
	err  error
}

// Compile parses a filter expression in tcpdump's syntax (pcap-filter(7)).
// An empty expression matches every frame. It fails on a syntax error, on a
// form this package does not support, and on an expression that compiles
// for none of the link types (say, too many registers); an expression that
// fails only on some link types ("vlan" on Linux SLL) fails when a frame of
// such a type is matched.
func Compile(expr string) (*Filter, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	f := &Filter{expr: expr, root: root}
	var first error
	for _, link := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL,
		layers.LinkTypeLinuxSLL2, layers.LinkTypeNull, layers.LinkTypeRaw} {
		_, err := f.For(link)
		if err == nil {
			return f, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// String returns the expression as given.
func (f *Filter) String() string { return f.expr }

// For returns the program for frames of a link type, compiling it the first
// time. The error wraps ErrLinkType for a link type the filter does not
// compile for (those tcpflow does not decode), and is an *Error when the
// expression asks for what the link type lacks ("vlan" or "ether host" on
// Linux SLL, raw IP or loopback).
func (f *Filter) For(link layers.LinkType) (*Program, error) {
	if l := f.lookup(link); l != nil {
		return l.prog, l.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.lookup(link); l != nil {
		return l.prog, l.err
	}
	p, err := newProgram(f.expr, f.root, link)
	var old []linked
	if o := f.progs.Load(); o != nil {
		old = *o
	}
	progs := append(append(make([]linked, 0, len(old)+1), old...), linked{link, p, err})
	f.progs.Store(&progs)
	return p, err
}

func (f *Filter) lookup(link layers.LinkType) *linked {
	if o := f.progs.Load(); o != nil {
		for i := range *o {
			if (*o)[i].link == link {
				return &(*o)[i]
			}
		}
	}
	return nil
}

// Program returns the classic BPF program for a link type, for the kernel
// (SO_ATTACH_FILTER) or for golang.org/x/net/bpf. Its accepting return
// gives snaplen (DefaultSnaplen when snaplen <= 0), as libpcap's do. It
// fails for programs longer than MaxInstructions.
func (f *Filter) Program(link layers.LinkType, snaplen int) ([]bpf.Instruction, error) {
	p, err := f.For(link)
	if err != nil {
		return nil, err
	}
	return p.Instructions(snaplen)
}

// Raw is Program assembled: the layout of the kernel's struct sock_filter
// (and of golang.org/x/sys/unix.SockFilter), ready for SO_ATTACH_FILTER.
func (f *Filter) Raw(link layers.LinkType, snaplen int) ([]bpf.RawInstruction, error) {
	p, err := f.For(link)
	if err != nil {
		return nil, err
	}
	return p.Raw(snaplen)
}

// Match tells whether a frame of the given link type passes the filter.
// data is the captured bytes, wirelen the length on the wire (for "len",
// "less" and "greater"). The error is For's.
func (f *Filter) Match(link layers.LinkType, data []byte, wirelen int) (bool, error) {
	p, err := f.For(link)
	if err != nil {
		return false, err
	}
	return p.Match(data, wirelen), nil
}

// Program is a filter compiled for one link type.
type Program struct {
	link layers.LinkType
	raw  []bpf.RawInstruction // accepting return: DefaultSnaplen
	code []vmIns              // raw, decoded for run
}

func newProgram(expr string, root node, link layers.LinkType) (*Program, error) {
	a, err := compileFor(expr, root, link, DefaultSnaplen)
	if err != nil {
		return nil, err
	}
	raw, err := a.assemble()
	var code []vmIns
	if err == nil {
		code, err = decode(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("filter %q: internal error: %w", expr, err)
	}
	return &Program{link: link, raw: raw, code: code}, nil
}

// LinkType is the link type the program is for.
func (p *Program) LinkType() layers.LinkType { return p.link }

// Match runs the program on a frame: data is the captured bytes, wirelen
// the length on the wire. It allocates nothing.
func (p *Program) Match(data []byte, wirelen int) bool {
	ret, _ := run(p.code, data, uint32(wirelen))
	return ret != 0
}

// Len is the number of instructions.
func (p *Program) Len() int { return len(p.raw) }

// Raw returns the assembled program; its accepting return gives snaplen
// (DefaultSnaplen when snaplen <= 0).
func (p *Program) Raw(snaplen int) ([]bpf.RawInstruction, error) {
	if len(p.raw) > MaxInstructions {
		return nil, fmt.Errorf("the program for %s has %d instructions, more than the kernel's %d",
			linkName(p.link), len(p.raw), MaxInstructions)
	}
	if snaplen <= 0 {
		snaplen = DefaultSnaplen
	}
	raw := append([]bpf.RawInstruction(nil), p.raw...)
	raw[len(raw)-2].K = uint32(snaplen) // the layout ends "ret #snaplen; ret #0"
	return raw, nil
}

// Instructions returns the program as golang.org/x/net/bpf instructions.
func (p *Program) Instructions(snaplen int) ([]bpf.Instruction, error) {
	raw, err := p.Raw(snaplen)
	if err != nil {
		return nil, err
	}
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		return nil, errors.New("internal error: the program does not disassemble")
	}
	return ins, nil
}
