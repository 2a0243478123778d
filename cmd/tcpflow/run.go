package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// Exit codes.
const (
	exitOK    = 0
	exitFault = 1 // the report was written but an input was faulty
	exitUsage = 2
)

const usage = `usage: tcpflow [flags] CAPTURE...
       tcpflow check --golden FILE [--update] [--ignore ...] [--tolerance ...] CAPTURE...

Analyze every TCP connection in one or more pcap/pcapng captures (optionally
gzip-compressed; "-" reads standard input). Several files are read one after
another as one capture, frame numbers continuing across them.

Flags:
`

// flags holds every command-line option.
type flags struct {
	format       string
	explain      bool
	abs          bool
	summary      bool
	conns        []string
	hosts        []string
	ports        []string
	reassemble   bool
	writeStreams string
	force        bool
	follow       int
	followFormat string
	side         string
	raw          bool
	quiet        bool
	cpuProfile   string
	memProfile   string
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], stdin, stdout, stderr)
	}
	var f flags
	fs := pflag.NewFlagSet("tcpflow", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.format, "format", "text", "output format: text, json (one document) or jsonl (one object per line, streamed as connections finish)")
	fs.BoolVar(&f.explain, "explain", false, "explain each selected connection's handshake and teardown in words, with a ladder diagram")
	fs.BoolVar(&f.abs, "abs", false, "show absolute sequence and acknowledgment numbers in timelines")
	fs.BoolVar(&f.summary, "summary", false, "connection table and per-connection facts only, no timelines (JSON: no segments)")
	fs.StringSliceVar(&f.conns, "conn", nil, "select connection `ID` (tcp.stream in Wireshark); repeatable or comma-separated")
	fs.StringSliceVar(&f.hosts, "host", nil, "select connections with an endpoint at `ADDR`; repeatable")
	fs.StringSliceVar(&f.ports, "port", nil, "select connections with an endpoint on `PORT`; repeatable")
	fs.BoolVar(&f.reassemble, "reassemble", false, "reassemble the byte streams also with --summary and --format jsonl (on by default for timelines and JSON)")
	fs.StringVar(&f.writeStreams, "write-streams", "", "write each direction of each connection to `DIR`/<id>-c2s.bin and <id>-s2c.bin, with DIR/streams.json")
	fs.BoolVar(&f.force, "force", false, "with --write-streams: overwrite files that already exist")
	fs.IntVar(&f.follow, "follow", -1, "print connection `ID`'s conversation, both sides interleaved, like Wireshark's Follow TCP Stream")
	fs.StringVar(&f.followFormat, "follow-format", "text", "with --follow: text (non-printable bytes escaped) or hex")
	fs.StringVar(&f.side, "side", "", "with --follow --raw: client or server, the side whose bytes to write")
	fs.BoolVar(&f.raw, "raw", false, "with --follow and --side: write that side's bytes unchanged to standard output")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) to `FILE`")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (pprof) to `FILE` at the end")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if err := checkFlags(&f); err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	if f.follow >= 0 {
		f.conns = []string{strconv.Itoa(f.follow)}
	}
	sel, err := selector(&f)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	stopProfile, err := startProfile(f.cpuProfile)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	code := analyze(&f, fs.Args(), sel, stdin, stdout, stderr)
	stopProfile()
	if f.memProfile != "" {
		if err := writeHeapProfile(f.memProfile); err != nil {
			fmt.Fprintf(stderr, "tcpflow: %v\n", err)
			return exitUsage
		}
	}
	return code
}

func checkFlags(f *flags) error {
	switch {
	case f.format != "text" && f.format != "json" && f.format != "jsonl":
		return fmt.Errorf("unknown --format %q (want text, json or jsonl)", f.format)
	case f.followFormat != "text" && f.followFormat != "hex":
		return fmt.Errorf("unknown --follow-format %q (want text or hex)", f.followFormat)
	case f.raw && (f.follow < 0 || (f.side != "client" && f.side != "server")):
		return errors.New("--raw needs --follow ID and --side client or --side server")
	case f.side != "" && !f.raw:
		return errors.New("--side is for --raw")
	}
	return nil
}

// analyze runs the analysis and writes the report; it returns the exit code.
func analyze(f *flags, inputs []string, sel state.Select, stdin io.Reader, stdout, stderr io.Writer) int {
	r := capture.NewReader(inputs...)
	if stdin != nil {
		r.Stdin = stdin
	}
	defer r.Close()
	bar := newProgress(r, inputs, stderr, f.quiet)
	defer bar.done()
	ropts := report.Options{Absolute: f.abs, Summary: f.summary}
	opts := state.Options{KeepRecords: (!f.summary || f.explain) && f.follow < 0}

	// Reassembly, and where its bytes go.
	var sinks report.Sinks
	var sw *report.StreamWriter
	var follower *report.Follower
	var rawSink *report.RawSink
	if f.writeStreams != "" {
		var err error
		if sw, err = report.NewStreamWriter(f.writeStreams, f.force); err != nil {
			fmt.Fprintf(stderr, "tcpflow: --write-streams: %v\n", err)
			return exitUsage
		}
		sinks = append(sinks, sw)
	}
	switch {
	case f.raw:
		rawSink = &report.RawSink{ID: f.follow, Dir: flow.C2S, W: stdout}
		if f.side == "server" {
			rawSink.Dir = flow.S2C
		}
		sinks = append(sinks, rawSink)
	case f.follow >= 0:
		follower = &report.Follower{ID: f.follow}
		sinks = append(sinks, follower)
	}
	if f.reassemble || len(sinks) > 0 || (!f.summary && f.format != "jsonl") {
		opts.Reassemble = &state.Reassembly{Options: flow.DefaultStreamOptions}
		if len(sinks) > 0 {
			opts.Reassemble.Sink = sinks
		}
	}

	var res *state.Result
	var err error
	switch {
	case f.format == "jsonl" && f.follow < 0:
		// Streamed: each connection is written and forgotten once it finishes.
		jw := report.NewJSONL(stdout, &r.Stats, ropts)
		n := 0
		if !f.summary {
			// Segment lines are written as segments are analyzed, so no
			// per-segment records are kept.
			opts.KeepRecords = false
			opts.Segment = jw.Segment
		}
		opts.Done = func(c *state.Connection) {
			if sw != nil {
				sw.Finished(c)
			}
			jw.Conn(c)
			n++
		}
		res = state.Run(r, opts, sel)
		bar.done()
		err = jw.Close(res, n)
	case f.format == "text" && f.summary && !f.explain && f.follow < 0:
		// Streamed too: each finished connection is rendered at once and
		// only its text is kept, to be written in id order at the end.
		// Rendering runs on its own goroutine, beside reading and analysis:
		// a finished connection is no longer touched by the analysis.
		// Connections go over in groups, to wake the renderer seldom.
		ss := report.NewSummaryStream(&r.Stats)
		finished := make(chan []*state.Connection, 8)
		rendered := make(chan struct{})
		go func() {
			for group := range finished {
				for _, c := range group {
					ss.Conn(c)
				}
			}
			close(rendered)
		}()
		var group []*state.Connection
		opts.Done = func(c *state.Connection) {
			if sw != nil {
				sw.Finished(c)
			}
			if group = append(group, c); len(group) == 128 {
				finished <- group
				group = nil
			}
		}
		res = state.Run(r, opts, sel)
		finished <- group
		close(finished)
		<-rendered
		bar.done()
		err = ss.Close(stdout, res)
	default:
		res = state.Run(r, opts, sel)
		bar.done()
		if sw != nil {
			for _, c := range res.Conns {
				sw.Finished(c)
			}
		}
		switch {
		case rawSink != nil:
			err = rawSink.Err
		case follower != nil:
			if len(res.Conns) == 0 {
				fmt.Fprintf(stderr, "tcpflow: --follow %d: no such connection\n", f.follow)
				return exitUsage
			}
			mode := report.FollowText
			if f.followFormat == "hex" {
				mode = report.FollowHex
			}
			err = follower.Write(stdout, res.Conns[0], mode)
		case f.format == "json":
			err = report.JSON(stdout, res, ropts)
		case f.explain:
			err = report.Explain(stdout, res, ropts)
		default:
			err = report.Text(stdout, res, ropts)
		}
	}
	if sw != nil {
		if cerr := sw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("--write-streams: %w", cerr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			fmt.Fprintf(stderr, "tcpflow: %v\n", e)
		}
		return exitFault
	}
	return exitOK
}

// selector builds the connection filter from --conn, --host and --port. A
// connection is kept when it matches every kind of criterion given (any of the
// values within a kind).
func selector(f *flags) (state.Select, error) {
	var ids []int
	for _, s := range f.conns {
		id, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || id < 0 {
			return nil, fmt.Errorf("--conn %q: not a connection id", s)
		}
		ids = append(ids, id)
	}
	var hosts []netip.Addr
	for _, s := range f.hosts {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("--host %q: not an IP address", s)
		}
		hosts = append(hosts, a.Unmap())
	}
	var ports []uint16
	for _, s := range f.ports {
		p, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
		if err != nil {
			return nil, fmt.Errorf("--port %q: not a port number", s)
		}
		ports = append(ports, uint16(p))
	}
	if ids == nil && hosts == nil && ports == nil {
		return nil, nil
	}
	return func(c *state.Connection) bool {
		if ids != nil && !contains(ids, c.ID) {
			return false
		}
		if hosts != nil && !contains(hosts, c.Client.Addr().Unmap()) && !contains(hosts, c.Server.Addr().Unmap()) {
			return false
		}
		if ports != nil && !contains(ports, c.Client.Port()) && !contains(ports, c.Server.Port()) {
			return false
		}
		return true
	}, nil
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
