package report

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// This file tells the capture artifacts (state/artifact.go): what a segment
// shows of the capture rather than of the network. Wireshark's findings keep
// their names; these words stand beside them.

// appendArtifactNote appends the timeline note of one artifact of a segment,
// e.g. "(duplicate of frame 12: captured twice)". It allocates nothing.
func appendArtifactNote(b []byte, a *state.Conn, r *state.Record, art state.Artifact) []byte {
	switch art {
	case state.DuplicateFrame:
		b = append(b, "(duplicate of frame "...)
		b = strconv.AppendUint(b, r.DupOf(), 10)
		return append(b, ": captured twice)"...)
	case state.OverMSS:
		b = append(b, "(larger than the peer's MSS "...)
		b = strconv.AppendInt(b, int64(a.EP[r.Dir.Reverse()].MSS), 10)
		return append(b, ": segmentation offload on the capturing host)"...)
	case state.ChecksumOffload:
		return append(b, "(checksum left to the network card: captured on the sending host)"...)
	}
	return b
}

// artifactExplained tells, for --explain, what a segment's duplicate frame
// or oversized segment says of the capture (the checksum left to the card is
// in the glossary, not on every segment).
func artifactExplained(a *state.Conn, r *state.Record) []string {
	var s []string
	if r.Artifacts&state.DuplicateFrame != 0 {
		s = append(s, fmt.Sprintf("Yet it is frame %d captured a second time (the same IP id, header and checksum): "+
			"the %s sent it once, and the copy comes from the capture (a span port or two taps), not from the network.",
			r.DupOf(), r.Dir.Side()))
	}
	if r.Artifacts&state.OverMSS != 0 {
		s = append(s, fmt.Sprintf("Its %d bytes are more than the %s's MSS of %d: no such segment crossed the network. "+
			"The capture was taken on the %s before its network card cut the segment up (segmentation offload), "+
			"or on the %s after its card or stack merged several (GRO).",
			r.Len, r.Dir.Reverse().Side(), a.EP[r.Dir.Reverse()].MSS, r.Dir.Side(), r.Dir.Reverse().Side()))
	}
	return s
}

// artifactWords says what each artifact kind means, for the connection facts
// and the expert summary: a count's noun and its cause.
var artifactWords = [state.NumArtifacts]struct{ one, many, why string }{
	{"duplicate frame", "duplicate frames", "captured twice"},
	{"segment larger than the peer's MSS", "segments larger than the peer's MSS", "segmentation offload on the capturing host"},
	{"checksum left to the network card", "checksums left to the network card", "captured on the sending host"},
}

// artifactFacts writes a line per direction that had capture artifacts,
// under the connection's facts.
func artifactFacts(w *bufio.Writer, a *state.Conn) {
	for d := flow.C2S; d <= flow.S2C; d++ {
		ac := &a.Artifacts[d]
		if !ac.Any() {
			continue
		}
		var parts []string
		for i, n := range ac.N {
			if n > 0 {
				wd := artifactWords[i]
				parts = append(parts, plural(int64(n), wd.one, wd.many)+" ("+wd.why+")")
			}
		}
		fmt.Fprintf(w, "capture artifacts from the %s: %s\n", d.Side(), strings.Join(parts, ", "))
	}
}

// capturePointFact writes where the connection was captured, when the
// handshake tells (state.Conn.CapturePoint), with the handshake part that
// decides it.
func capturePointFact(w *bufio.Writer, c *state.Connection) {
	a := c.Data
	p := state.WhereCaptured(c)
	if p == state.PointUnknown {
		return
	}
	w.WriteString("capture point: ")
	w.WriteString(p.Text())
	switch p {
	case state.NearClient:
		w.WriteString(" (SYN-ACK to ACK ")
		writeDuration(w, a.HandshakeRTT-a.SynAckRTT)
		w.WriteString(", at most a tenth of the handshake)")
	case state.NearServer:
		w.WriteString(" (SYN to SYN-ACK ")
		writeDuration(w, a.SynAckRTT)
		w.WriteString(", at most a tenth of the handshake)")
	case state.SameHost:
		w.WriteString(" (the capture sees both)")
	default:
		w.WriteString(" (SYN to SYN-ACK ")
		writeDuration(w, a.SynAckRTT)
		w.WriteString(", SYN-ACK to ACK ")
		writeDuration(w, a.HandshakeRTT-a.SynAckRTT)
		w.WriteByte(')')
	}
	w.WriteByte('\n')
}

// artifactVerdict is the verdict's sentence on the findings that are
// artifacts of the capture, e.g. "5 of the 7 retransmissions are duplicate
// frames of the capture, not loss"; "" when none is.
func artifactVerdict(a *state.Conn) string {
	var dr, dd int64
	for d := flow.C2S; d <= flow.S2C; d++ {
		dr += int64(a.Artifacts[d].DupRetrans)
		dd += int64(a.Artifacts[d].DupDupAcks)
	}
	retrans := count(a, flow.C2S, state.Retransmission) + count(a, flow.S2C, state.Retransmission)
	dupAcks := count(a, flow.C2S, state.DuplicateAck) + count(a, flow.S2C, state.DuplicateAck)
	return dupSentence(dr, retrans, dd, dupAcks)
}

// dupSentence says how many of the retransmissions and duplicate ACKs
// Wireshark counts are copies of frames captured twice. It names Wireshark:
// the verdict's own retransmission count already leaves the copies out
// (state.OutSeq), so "5 of the 7" would not be its numbers.
func dupSentence(dr, retrans, dd, dupAcks int64) string {
	var parts []string
	if dr > 0 {
		parts = append(parts, ofThe(dr, retrans, "retransmission", "retransmissions"))
	}
	if dd > 0 {
		parts = append(parts, ofThe(dd, dupAcks, "duplicate ACK", "duplicate ACKs"))
	}
	switch {
	case len(parts) == 0:
		return ""
	case dr+dd == 1:
		return parts[0] + " is a frame captured twice, not loss"
	}
	return strings.Join(parts, " and ") + " are frames captured twice, not loss"
}

// ofThe is "5 of Wireshark's 7 retransmissions", "Wireshark's
// retransmission", "both of Wireshark's retransmissions", "all 3 of
// Wireshark's retransmissions".
func ofThe(n, of int64, one, many string) string {
	switch {
	case of == 1:
		return "Wireshark's " + one
	case n == of && of == 2:
		return "both of Wireshark's " + many
	case n == of:
		return "all " + strconv.FormatInt(of, 10) + " of Wireshark's " + many
	}
	return strconv.FormatInt(n, 10) + " of Wireshark's " + plural(of, one, many)
}

// artifactTotals is the capture artifacts of the whole capture, for the
// expert summary.
type artifactTotals struct {
	n, conns            [state.NumArtifacts]int64
	dupRetrans, retrans int64
	dupDupAcks, dupAcks int64
}

// add counts one connection's artifacts and findings.
func (t *artifactTotals) add(a *state.Conn) {
	for i := range t.n {
		if n := int64(a.Artifacts[flow.C2S].N[i] + a.Artifacts[flow.S2C].N[i]); n > 0 {
			t.n[i] += n
			t.conns[i]++
		}
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		t.dupRetrans += int64(a.Artifacts[d].DupRetrans)
		t.dupDupAcks += int64(a.Artifacts[d].DupDupAcks)
		t.retrans += count(a, d, state.Retransmission)
		t.dupAcks += count(a, d, state.DuplicateAck)
	}
}

// writeText writes the expert summary's lines on capture artifacts: one per
// kind, and what the duplicate frames make of Wireshark's findings.
func (t *artifactTotals) writeText(w *bufio.Writer) {
	if t.n == [state.NumArtifacts]int64{} {
		return
	}
	fmt.Fprintln(w, "capture artifacts (from how the capture was taken, not from the network):")
	for i, n := range t.n {
		if n == 0 {
			continue
		}
		wd := artifactWords[i]
		fmt.Fprintf(w, "  %s in %s: %s\n", plural(n, wd.one, wd.many), plural(t.conns[i], "connection", "connections"), wd.why)
	}
	if s := dupSentence(t.dupRetrans, t.retrans, t.dupDupAcks, t.dupAcks); s != "" {
		fmt.Fprintf(w, "  %s\n", s)
	}
}
