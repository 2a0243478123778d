package report

// The tcpdump line an explanation shows for each frame it tells, so that a
// reader can match the explanation with what tcpdump -S -nn prints.

import (
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// tcpdumpFlags are the flags in tcpdump's order and letters (print-tcp.c,
// tcp_flag_values).
var tcpdumpFlags = [...]struct {
	f      capture.Flags
	letter byte
}{{capture.FIN, 'F'}, {capture.SYN, 'S'}, {capture.RST, 'R'}, {capture.PSH, 'P'}, {capture.ACK, '.'},
	{capture.URG, 'U'}, {capture.ECE, 'E'}, {capture.CWR, 'W'}, {capture.AE, 'e'}}

// tcpdumpOptionNames names the option kinds tcpdump names, beyond those a
// Record keeps apart (tcp_option_values).
var tcpdumpOptionNames = map[uint8]string{19: "md5", 28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo", 253: "exp", 254: "exp"}

// tcpdumpLine is what tcpdump -S -nn prints for a segment after the
// addresses: "Flags [P.], seq 1000:1002, ack 2000, win 512, options [...],
// length 2". It leaves out the nop options tcpdump lists (a Record keeps
// the options, not their layout) and prints other options by name only.
func tcpdumpLine(r *state.Record) string {
	var b strings.Builder
	b.WriteString("Flags [")
	n := 0
	for _, fl := range tcpdumpFlags {
		if r.Flags&fl.f != 0 {
			b.WriteByte(fl.letter)
			n++
		}
	}
	if n == 0 {
		b.WriteString("none")
	}
	b.WriteByte(']')
	if r.Len > 0 || r.Flags&(capture.SYN|capture.FIN|capture.RST) != 0 {
		b.WriteString(", seq " + strconv.FormatUint(uint64(r.Seq), 10))
		if r.Len > 0 {
			b.WriteString(":" + strconv.FormatUint(uint64(r.Seq+uint32(r.Len)), 10))
		}
	}
	if r.Flags&capture.ACK != 0 {
		b.WriteString(", ack " + strconv.FormatUint(uint64(r.Ack), 10))
	}
	b.WriteString(", win " + strconv.Itoa(int(r.Win)))
	if r.Flags&capture.URG != 0 {
		b.WriteString(", urg " + strconv.Itoa(int(r.Urgent)))
	}
	if o := tcpdumpOptions(&r.Opts); o != "" {
		b.WriteString(", options [" + o + "]")
	}
	b.WriteString(", length " + strconv.Itoa(r.Len))
	return b.String()
}

// tcpdumpOptions lists the options as tcpdump names them, nops left out.
func tcpdumpOptions(o *capture.Options) string {
	parts := synOptionsText(o)
	if o.NSACK > 0 {
		s := "sack " + strconv.Itoa(int(o.NSACK)) + " "
		for _, bl := range o.SACKBlocks() {
			s += "{" + strconv.FormatUint(uint64(bl.Left), 10) + ":" + strconv.FormatUint(uint64(bl.Right), 10) + "}"
		}
		parts = append(parts, s)
	}
	for _, k := range o.UnknownKinds() {
		name, ok := tcpdumpOptionNames[k]
		if !ok {
			name = "unknown-" + strconv.Itoa(int(k))
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ",")
}
