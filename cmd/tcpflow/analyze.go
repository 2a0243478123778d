package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/capture/filter"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
	"github.com/tcpflow/tcpflow/stream"
)

// textWidth is the width of the text report unless --wide.
const textWidth = report.DefaultWidth

// newReader opens the captures with the filter and -c; several are merged
// by timestamp unless inOrder (--files-in-order).
func (s *sys) newReader(captures []string, filt *filter.Filter, count uint64, inOrder bool, stop <-chan struct{}) *capture.Reader {
	r := capture.NewReader(captures...)
	r.InOrder = inOrder
	if s.stdin != nil {
		r.Stdin = newStopReader(s.stdin, stop)
	}
	r.Filter = filt
	r.Count = count
	return r
}

// report runs the analysis, writes the report and returns the exit code.
func (s *sys) report(f *flags, in *inputArgs, sel func(*pipeline.Connection) bool, stop <-chan struct{}) int {
	var r *capture.Reader
	var lv *liveRun // with -i
	if f.live.iface != "" {
		var code int
		if lv, code = s.openLive(f, stop); lv == nil {
			return code
		}
		r, stop = lv.r, lv.stop
		s.stdout = lv.stdout // clears the status line before it writes
	} else {
		r = s.newReader(in.captures, in.filter, f.count, f.set.filesInOrder, stop)
	}
	defer r.Close()
	bar := newProgress(r, in.captures, s.stderr, f.quiet || lv != nil)
	defer bar.done()
	ropts := report.Options{Absolute: f.abs, Summary: f.summary, Width: textWidth, ExplainLimit: f.explainLimit}
	ropts.Triage, _ = f.tri.triage(f) // checked by validate
	if f.wide {
		ropts.Width = 0
	}
	if f.maxConns == 0 {
		f.maxConns = -1 // no cap
	}
	opts := pipeline.Options{Select: sel, MaxConns: f.maxConns, Stop: stop,
		// Timelines and JSON show the stream facts; --summary and jsonl
		// skip the reassembly unless asked (or a stream output needs it).
		Reassemble: f.reassemble || (!f.summary && f.format != "jsonl" && f.format != "parquet")}
	opts.Stream = stream.DefaultOptions
	if f.maxBuffer > 0 {
		opts.Stream.MaxBytesTotal = f.maxBuffer
	}
	lv.options(&opts)

	var sinks []pipeline.Sink
	pics, picsDone, err := pictureSink(f, &r.Stats) // first: it can refuse before anything is written
	if err != nil {
		s.say("tcpflow", "%v", err)
		return exitUsage
	}
	if pics != nil {
		sinks = append(sinks, pics)
	}
	if f.writeStreams != "" {
		sw, err := sink.NewStreamFiles(f.writeStreams, f.force, "")
		if err != nil {
			picsDone(err)
			s.say("tcpflow", "--write-streams: %v", err)
			return exitUsage
		}
		sinks = append(sinks, sw)
	}
	ps := packetSink(f, s.stdout, &r.Stats, &opts)
	switch {
	case ps != nil:
		sinks = append(sinks, ps)
	case f.format == "parquet":
		pq, err := parquetSink(f, in.captures, in.captures, r)
		if err != nil {
			picsDone(err)
			s.say("tcpflow", "--out: %v", err)
			return exitUsage // as --write-streams: refused before anything is written
		}
		sinks = append(sinks, pq)
	default:
		sinks = append(sinks, s.outputSink(f, r, ropts, lv != nil))
	}

	sum, err := pipeline.Run(r, opts, sinks...)
	if perr := picsDone(err); err == nil && perr != nil {
		err = fmt.Errorf("--html %s: %w", f.pictures.html, perr)
	}
	bar.done()
	lv.done(sum)
	noFrames(ps, s.stderr)
	code := exitOK
	for _, e := range sum.Errors {
		s.inputFault("tcpflow", e, in)
		code = exitInput
	}
	if sum.Interrupted && lv == nil { // a live capture ends this way
		s.say("tcpflow", "interrupted: reading stopped at frame %d; the report covers the frames before", sum.Stats.Frames)
	}
	switch {
	case err != nil && closedPipe(err):
		// The reader of the output went away (tcpflow big.pcap | head): what
		// it read is all it wanted.
		return code
	case sel != nil && sum.Selected == 0:
		// Nothing to show: --follow and --raw fail for that, the reports say
		// it in their body.
		s.say("tcpflow", "no connection matches %s (%s)", selection(f), captureHas(sum))
		if code == exitOK && idMissing(f, sum) {
			code = exitUsage
		}
	case err != nil:
		s.say("tcpflow", "%v", err)
		return exitOutput
	}
	return code
}

// outputSink is the sink that writes what the flags ask for to stdout; a
// live capture's text report writes each connection as it finishes.
func (s *sys) outputSink(f *flags, r *capture.Reader, ropts report.Options, live bool) pipeline.Sink {
	newText := sink.NewText
	if live {
		newText = sink.NewLiveText
	}
	switch {
	case f.raw:
		raw := &sink.Raw{ID: f.follow, Dir: flow.C2S, W: s.stdout}
		if f.side == "server" {
			raw.Dir = flow.S2C
		}
		return raw
	case f.follow >= 0:
		mode := report.FollowText
		if f.followFormat == "hex" {
			mode = report.FollowHex
		}
		return sink.NewFollow(f.follow, s.stdout, mode, "")
	case f.format == "jsonl":
		return sink.NewJSONL(s.stdout, &r.Stats, ropts)
	case f.format == "json":
		return sink.NewJSON(s.stdout, &r.Stats, ropts, "")
	case f.explain:
		return newText(s.stdout, &r.Stats, ropts, sink.Explained, "")
	case f.summary:
		return newText(s.stdout, &r.Stats, ropts, sink.Summary, "")
	}
	return newText(s.stdout, &r.Stats, ropts, sink.Timelines, "")
}

// selection says the selection flags as given: "--conn 99 --port 80".
func selection(f *flags) string {
	var parts []string
	if f.follow >= 0 {
		parts = append(parts, "--follow "+strconv.Itoa(f.follow))
	} else if len(f.conns) > 0 {
		parts = append(parts, "--conn "+strings.Join(f.conns, ","))
	}
	if len(f.hosts) > 0 {
		parts = append(parts, "--host "+strings.Join(f.hosts, ","))
	}
	if len(f.ports) > 0 {
		parts = append(parts, "--port "+strings.Join(f.ports, ","))
	}
	return strings.Join(parts, " ")
}

// captureHas says how many connections the capture has, and their ids.
func captureHas(sum *pipeline.Summary) string {
	switch sum.Conns {
	case 0:
		return "the capture has none"
	case 1:
		return "the capture has 1, id 0"
	}
	return fmt.Sprintf("the capture has %d, ids 0 to %d", sum.Conns, sum.Conns-1)
}

// idMissing reports whether --conn or --follow names an id the capture does
// not have: a mistake in the command, unlike a --host or --port that
// matches nothing.
func idMissing(f *flags, sum *pipeline.Summary) bool {
	for _, c := range f.conns {
		if id, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && id >= sum.Conns {
			return true
		}
	}
	return false
}
