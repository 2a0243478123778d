package report

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// This file tells the out-of-sequence segments as state/outseq.go classifies
// them: retransmissions (with where the bytes were lost), unneeded
// retransmissions and network reordering. Wireshark's names stay on the
// segments and in the per-direction "findings:" line.

// retransmissionFinding is "N retransmissions from the client (K fast, L
// lost before the capture point)", with the capture point when the capture
// was taken next to that side (where the network cannot reorder what it
// sends, so none of them is out-of-order); ok is false without any.
func retransmissionFinding(c *state.Connection, d flow.Dir) (finding, bool) {
	a := c.Data
	o := &a.Dir[d].Out
	n := int64(o.Retransmissions)
	if n == 0 {
		return finding{}, false
	}
	side := d.Side()
	s := plural(n, "retransmission", "retransmissions") + " from the " + side
	var why []string
	if f := o.Fast; f > 0 {
		why = append(why, strconv.FormatInt(int64(f), 10)+" fast")
	}
	if l := o.LostBeforeCapture; l > 0 {
		why = append(why, strconv.FormatInt(int64(l), 10)+" lost before the capture point")
	}
	if p := state.WhereCaptured(c); (p == state.NearClient && d == flow.Client) || (p == state.NearServer && d == flow.Server) {
		why = append(why, "captured "+p.Text())
	}
	if len(why) > 0 {
		s += " (" + strings.Join(why, ", ") + ")"
	}
	return finding{"retransmissions_from_" + side, s}, true
}

// unneededFinding is "3 retransmissions from the server were unneeded
// (D-SACK)": the peer had acknowledged their bytes before they came, or
// said with D-SACKs that it received them twice.
func unneededFinding(a *state.Conn, d flow.Dir) (finding, bool) {
	o := &a.Dir[d].Out
	n := int64(o.Spurious())
	if n == 0 {
		return finding{}, false
	}
	how := "already acknowledged"
	switch {
	case o.UnneededDSACK > 0 && o.Unneeded > 0:
		how = "already acknowledged, or reported by D-SACK"
	case o.UnneededDSACK > 0:
		how = "D-SACK"
	}
	verb := " were unneeded ("
	if n == 1 {
		verb = " was unneeded ("
	}
	return finding{"spurious_retransmissions_from_" + d.Side(),
		plural(n, "retransmission", "retransmissions") + " from the " + d.Side() + verb + how + ")"}, true
}

// reorderingFinding is "12 segments reordered by the network from the
// server".
func reorderingFinding(a *state.Conn, d flow.Dir) (finding, bool) {
	n := int64(a.Dir[d].Out.Reordered)
	if n == 0 {
		return finding{}, false
	}
	return finding{"reordering_from_" + d.Side(),
		plural(n, "segment", "segments") + " reordered by the network from the " + d.Side()}, true
}

// writeOutSeq writes one direction's out-of-sequence classes for the
// connection facts, e.g. "; out of sequence: 80 retransmitted (12 lost
// before the capture point, 3 unneeded), 12 reordered by the network; 3
// D-SACKs sent"; nothing when there is none.
func writeOutSeq(w *bufio.Writer, o *state.OutSeq) {
	var parts []string
	if n := o.Retransmissions; n > 0 {
		s := strconv.FormatUint(uint64(n), 10) + " retransmitted"
		var why []string
		if l := o.LostBeforeCapture; l > 0 {
			why = append(why, strconv.FormatUint(uint64(l), 10)+" lost before the capture point")
		}
		if u := o.Spurious(); u > 0 {
			why = append(why, strconv.FormatUint(uint64(u), 10)+" unneeded")
		}
		if len(why) > 0 {
			s += " (" + strings.Join(why, ", ") + ")"
		}
		parts = append(parts, s)
	}
	if n := o.Reordered; n > 0 {
		parts = append(parts, strconv.FormatUint(uint64(n), 10)+" reordered by the network")
	}
	if n := o.Duplicates; n > 0 {
		parts = append(parts, plural(int64(n), "duplicate", "duplicates"))
	}
	if n := o.Ambiguous; n > 0 {
		parts = append(parts, strconv.FormatUint(uint64(n), 10)+" ambiguous")
	}
	if len(parts) > 0 {
		w.WriteString("; out of sequence: ")
		w.WriteString(strings.Join(parts, ", "))
	}
	if n := o.DSACKs; n > 0 {
		w.WriteString("; ")
		w.WriteString(plural(int64(n), "D-SACK", "D-SACKs"))
		w.WriteString(" sent")
	}
}
