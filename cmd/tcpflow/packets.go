package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/sink"
)

// The per-packet outputs: --dissect and --format tcpdump, with --frame.

// packetFlags are their flags.
type packetFlags struct {
	dissect bool
	frames  []string
}

func addPacketFlags(fs *pflag.FlagSet, p *packetFlags) {
	fs.BoolVar(&p.dissect, "dissect", false, "take each frame apart header by header, field by field, with a hex dump (use with --frame or --conn; --explain says what each field is for; --format json or jsonl for JSON)")
	fs.StringSliceVar(&p.frames, "frame", nil, "only frame `N`, or frames M-K (M- to the end), for --dissect and --format tcpdump; repeatable or comma-separated")
}

// packetMode says whether a per-packet output was asked for.
func (f *flags) packetMode() bool { return f.packets.dissect || f.format == "tcpdump" }

// checkPacketFlags refuses combinations that make no sense.
func checkPacketFlags(f *flags) error {
	p := &f.packets
	switch {
	case p.dissect && f.format == "tcpdump":
		return errors.New("--dissect and --format tcpdump are two views of the frames: pick one")
	case len(p.frames) > 0 && !f.packetMode():
		return errors.New("--frame is for --dissect and --format tcpdump")
	case !f.packetMode():
		return nil
	case f.explain && !p.dissect:
		return errors.New("--explain with --format tcpdump: use --dissect --explain to have each field explained")
	case f.summary || f.follow >= 0 || f.writeStreams != "":
		return errors.New("--dissect and --format tcpdump print frames: they do not go with --summary, --follow or --write-streams")
	}
	_, err := frameSet(p.frames)
	return err
}

// frameRange is frames lo to hi, both included.
type frameRange struct{ lo, hi uint64 }

// frameSet parses --frame values: N, M-K or M- (to the end).
func frameSet(vals []string) ([]frameRange, error) {
	var rs []frameRange
	for _, v := range vals {
		s := strings.TrimSpace(v)
		lo, hi, isRange := strings.Cut(s, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil || a == 0 {
			return nil, fmt.Errorf("--frame %q: not a frame number (frames count from 1) or range M-K", v)
		}
		r := frameRange{a, a}
		if isRange {
			r.hi = ^uint64(0)
			if hi != "" {
				if r.hi, err = strconv.ParseUint(hi, 10, 64); err != nil || r.hi < a {
					return nil, fmt.Errorf("--frame %q: not a range M-K with M <= K", v)
				}
			}
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// packetSink returns the per-packet output asked for (nil for none) and
// sets the run's options for it: the frames it wants, no reassembly.
func packetSink(f *flags, w io.Writer, stats *capture.Stats, opts *pipeline.Options) *sink.Packets {
	if !f.packetMode() {
		return nil
	}
	if rs, _ := frameSet(f.packets.frames); rs != nil {
		opts.Frames = func(n uint64) bool {
			for _, r := range rs {
				if n >= r.lo && n <= r.hi {
					return true
				}
			}
			return false
		}
	}
	opts.Reassemble = false
	format := sink.Tcpdump
	if f.packets.dissect {
		format = map[string]sink.PacketFormat{"json": sink.DissectJSON, "jsonl": sink.DissectJSONL}[f.format]
	}
	return sink.NewPackets(w, stats, format, f.explain)
}

// noFrames tells when the per-packet output printed nothing.
func noFrames(p *sink.Packets, stderr io.Writer) {
	if p != nil && p.Frames == 0 {
		fmt.Fprintln(stderr, "tcpflow: no frame matched (--frame and --conn select among the capture's frames)")
	}
}
