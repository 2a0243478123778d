package report

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// This file says what was damaged or crafted in a capture: malformed TCP
// options, wrong checksums and checksums left to offload, and sequence or
// acknowledgment numbers too far off to be real; on the segment (timeline
// notes), per connection (facts and verdict) and in the capture header.

// optionName names an option kind in words.
func optionName(kind uint8) string {
	switch layers.TCPOptionKind(kind) {
	case layers.TCPOptionKindMSS:
		return "MSS"
	case layers.TCPOptionKindWindowScale:
		return "window scale"
	case layers.TCPOptionKindSACKPermitted:
		return "SACK-permitted"
	case layers.TCPOptionKindSACK:
		return "SACK"
	case layers.TCPOptionKindTimestamps:
		return "timestamps"
	}
	return "kind " + strconv.Itoa(int(kind))
}

// OptionProblemText says what is wrong with the first option of a segment
// that has problem p, e.g. "MSS option of length 3, should be 4: ignored".
func OptionProblemText(p capture.OptionProblem, b capture.BadOption) string {
	name := optionName(b.Kind) + " option"
	length := strconv.Itoa(int(b.Len))
	switch p {
	case capture.OptBadLength:
		want := "2 + 8 per block"
		if n, ok := capture.OptionLen(layers.TCPOptionKind(b.Kind)); ok {
			want = strconv.Itoa(n)
		}
		return name + " of length " + length + ", should be " + want + ": ignored"
	case capture.OptPastEnd:
		if b.Room < 2 {
			return name + " without room for its length in the header: not read"
		}
		return name + " of length " + length + " runs past the end of the header (" + strconv.Itoa(int(b.Room)) +
			" bytes of options left): it and the options after it are not read"
	case capture.OptZeroLength:
		return name + " of length " + length + " (below 2): it and the options after it are not read"
	}
	return name + " again: the last one counts"
}

// damageParts are the timeline notes of a damaged segment, each in
// parentheses; none for an intact one. A checksum left to offload is no
// damage: the connection facts explain it once.
func damageParts(r *state.Record) []string {
	var parts []string
	if r.Opts.Bad != 0 {
		var ps []string
		for _, p := range capture.OptionProblems() {
			if r.Opts.Has(p) {
				ps = append(ps, OptionProblemText(p, r.Opts.BadOpt[p]))
			}
		}
		parts = append(parts, "(malformed options: "+strings.Join(ps, "; ")+")")
	}
	if r.IPChecksum == capture.ChecksumBad {
		parts = append(parts, "(bad IP checksum)")
	}
	if r.TCPChecksum == capture.ChecksumBad {
		parts = append(parts, "(bad TCP checksum)")
	}
	if r.SeqJump > 0 {
		parts = append(parts, "(sequence number "+u64(uint64(r.SeqJump))+
			" bytes beyond anything sent: corrupt or crafted, not counted as missing)")
	}
	if r.AckJump > 0 {
		parts = append(parts, "(acknowledges "+u64(uint64(r.AckJump))+
			" bytes beyond anything the peer sent: corrupt or crafted, not counted as missing)")
	}
	return parts
}

// damageVerdict lists a connection's damage for its verdict.
func damageVerdict(a *state.Conn) []string {
	var p []string
	for d := flow.C2S; d <= flow.S2C; d++ {
		dm := &a.Damage[d]
		side := " from the " + d.Side()
		var opts int64
		for _, n := range dm.Options {
			opts = max(opts, int64(n))
		}
		if opts > 0 {
			p = append(p, plural(opts, "segment", "segments")+" with malformed options"+side)
		}
		if n := int64(dm.IPChecksum[capture.ChecksumBad]) + int64(dm.TCPChecksum[capture.ChecksumBad]); n > 0 {
			p = append(p, plural(n, "bad checksum", "bad checksums")+side)
		}
		if n := int64(dm.SeqJumps); n > 0 {
			p = append(p, plural(n, "impossible sequence number", "impossible sequence numbers")+side)
		}
		if n := int64(dm.AckJumps); n > 0 {
			p = append(p, plural(n, "impossible acknowledgment number", "impossible acknowledgment numbers")+side)
		}
	}
	return p
}

// damageShort is damageVerdict in the table's words, both sides together.
func damageShort(a *state.Conn) []string {
	var opts, sums, jumps int64
	for d := flow.C2S; d <= flow.S2C; d++ {
		dm := &a.Damage[d]
		for _, n := range dm.Options {
			opts = max(opts, int64(n))
		}
		sums += int64(dm.IPChecksum[capture.ChecksumBad]) + int64(dm.TCPChecksum[capture.ChecksumBad])
		jumps += int64(dm.SeqJumps) + int64(dm.AckJumps)
	}
	var p []string
	if opts > 0 {
		p = append(p, "malformed options")
	}
	if sums > 0 {
		p = append(p, plural(sums, "bad checksum", "bad checksums"))
	}
	if jumps > 0 {
		p = append(p, plural(jumps, "impossible number", "impossible numbers"))
	}
	return p
}

// checksumWords says what a checksum status means, for counts.
var checksumWords = [capture.NumChecksumStatus]string{
	capture.ChecksumUnverified: "not verified (cut by the snap length)",
	capture.ChecksumNone:       "absent (IPv6)",
	capture.ChecksumGood:       "right",
	capture.ChecksumBad:        "wrong",
	capture.ChecksumUnfilled:   "not filled in (checksum offload)",
}

// offloadNote explains checksums left to the network card.
const offloadNote = "not filled in (checksum offload: captured on the sending host before its network card computed them; not an error)"

// damageFacts writes a connection's damage under its facts: malformed
// options, bad checksums, checksums left to offload and impossible jumps,
// per side; nothing for an intact connection.
func damageFacts(w *bufio.Writer, a *state.Conn) {
	for d := flow.C2S; d <= flow.S2C; d++ {
		dm := &a.Damage[d]
		side := d.Side()
		for _, p := range capture.OptionProblems() {
			if n := dm.Options[p]; n > 0 {
				w.WriteString("malformed options from the " + side + ": " +
					plural(int64(n), "segment", "segments") + " where " + p.Text() + "\n")
			}
		}
		if n := dm.IPChecksum[capture.ChecksumBad] + dm.TCPChecksum[capture.ChecksumBad]; n > 0 {
			var what []string
			if m := dm.IPChecksum[capture.ChecksumBad]; m > 0 {
				what = append(what, plural(int64(m), "wrong IP header checksum", "wrong IP header checksums"))
			}
			if m := dm.TCPChecksum[capture.ChecksumBad]; m > 0 {
				what = append(what, plural(int64(m), "wrong TCP checksum", "wrong TCP checksums"))
			}
			w.WriteString("bad checksums from the " + side + ": " + strings.Join(what, ", ") +
				": damaged on the way, crafted, or rewritten without fixing them (analyzed all the same)\n")
		}
		if n := dm.IPChecksum[capture.ChecksumUnfilled] + dm.TCPChecksum[capture.ChecksumUnfilled]; n > 0 {
			var what []string
			if m := dm.IPChecksum[capture.ChecksumUnfilled]; m > 0 {
				what = append(what, plural(int64(m), "IP header checksum", "IP header checksums"))
			}
			if m := dm.TCPChecksum[capture.ChecksumUnfilled]; m > 0 {
				what = append(what, plural(int64(m), "TCP checksum", "TCP checksums"))
			}
			w.WriteString("checksums from the " + side + ": " + strings.Join(what, ", ") + " " + offloadNote + "\n")
		}
		if dm.SeqJumps > 0 {
			w.WriteString("impossible jumps from the " + side + ": " +
				plural(int64(dm.SeqJumps), "sequence number", "sequence numbers") +
				" too far beyond anything sent to be real (corrupt or crafted; not counted as missing, not reassembled)\n")
		}
		if dm.AckJumps > 0 {
			w.WriteString("impossible jumps from the " + side + ": " +
				plural(int64(dm.AckJumps), "acknowledgment number", "acknowledgment numbers") +
				" too far beyond anything the peer sent to be real (corrupt or crafted; not counted as missing)\n")
		}
	}
}

// damageHeader writes the capture's damage totals under the frame counts:
// segments with malformed options per problem, checksums that are not
// right, and impossible jumps; nothing for an intact capture.
func damageHeader(w *bufio.Writer, sum *pipeline.Summary) {
	st := &sum.Stats
	for _, p := range capture.OptionProblems() {
		if n := st.Options[p]; n > 0 {
			w.WriteString("  " + plural(int64(n), "TCP segment", "TCP segments") + " where " + p.Text() + "\n")
		}
	}
	for _, kind := range []struct {
		name   string
		counts *[capture.NumChecksumStatus]uint64
	}{{"IP header", &st.IPChecksums}, {"TCP", &st.TCPChecksums}} {
		c := kind.counts
		if c[capture.ChecksumBad] == 0 && c[capture.ChecksumUnfilled] == 0 {
			continue
		}
		var parts []string
		for _, s := range capture.ChecksumStatuses() {
			if n := c[s]; n > 0 {
				parts = append(parts, u64(n)+" "+checksumWords[s])
			}
		}
		w.WriteString("  " + kind.name + " checksums: " + strings.Join(parts, ", ") + "\n")
	}
	if n := sum.SeqJumps + sum.AckJumps; n > 0 {
		w.WriteString("  " + plural(int64(n), "sequence or acknowledgment number", "sequence or acknowledgment numbers") +
			" too far beyond anything seen to be real (corrupt or crafted)\n")
	}
}
