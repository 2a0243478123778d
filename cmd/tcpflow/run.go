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
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
	"github.com/tcpflow/tcpflow/stream"
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
	maxConns     int
	maxBuffer    int64
	cpuProfile   string
	memProfile   string
	pictures     pictureFlags // --html, --svg (html.go)
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
	fs.BoolVar(&f.force, "force", false, "with --write-streams or --svg: overwrite files that already exist")
	fs.IntVar(&f.follow, "follow", -1, "print connection `ID`'s conversation, both sides interleaved, like Wireshark's Follow TCP Stream")
	fs.StringVar(&f.followFormat, "follow-format", "text", "with --follow: text (non-printable bytes escaped) or hex")
	fs.StringVar(&f.side, "side", "", "with --follow --raw: client or server, the side whose bytes to write")
	fs.BoolVar(&f.raw, "raw", false, "with --follow and --side: write that side's bytes unchanged to standard output")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.IntVar(&f.maxConns, "max-conns", pipeline.DefaultMaxConns, "track at most `N` connections at once; beyond, the least valuable are finished early as evicted (idle half-open ones first); 0 for no limit")
	fs.Var(sizeValue{&f.maxBuffer}, "max-buffer", "hold at most `SIZE` bytes of out-of-order data for reassembly in all (e.g. 256MB; default "+sizeString(stream.DefaultOptions.MaxBytesTotal)+")")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) to `FILE`")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (pprof) to `FILE` at the end")
	f.pictures.register(fs)
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
func analyze(f *flags, inputs []string, sel func(*pipeline.Connection) bool, stdin io.Reader, stdout, stderr io.Writer) int {
	r := capture.NewReader(inputs...)
	if stdin != nil {
		r.Stdin = stdin
	}
	defer r.Close()
	bar := newProgress(r, inputs, stderr, f.quiet)
	defer bar.done()
	ropts := report.Options{Absolute: f.abs, Summary: f.summary}
	if f.maxConns == 0 {
		f.maxConns = -1 // no cap
	}
	opts := pipeline.Options{Select: sel, MaxConns: f.maxConns,
		// Timelines and JSON show the stream facts; --summary and jsonl
		// skip the reassembly unless asked (or a stream output needs it).
		Reassemble: f.reassemble || (!f.summary && f.format != "jsonl")}
	opts.Stream = stream.DefaultOptions
	if f.maxBuffer > 0 {
		opts.Stream.MaxBytesTotal = f.maxBuffer
	}

	var sinks []pipeline.Sink
	pics, picsDone, err := pictureSink(f, &r.Stats) // first: it can refuse before anything is written
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	if pics != nil {
		sinks = append(sinks, pics)
	}
	if f.writeStreams != "" {
		sw, err := sink.NewStreamFiles(f.writeStreams, f.force, "")
		if err != nil {
			picsDone(err)
			fmt.Fprintf(stderr, "tcpflow: --write-streams: %v\n", err)
			return exitUsage
		}
		sinks = append(sinks, sw)
	}
	switch {
	case f.raw:
		raw := &sink.Raw{ID: f.follow, Dir: flow.C2S, W: stdout}
		if f.side == "server" {
			raw.Dir = flow.S2C
		}
		sinks = append(sinks, raw)
	case f.follow >= 0:
		mode := report.FollowText
		if f.followFormat == "hex" {
			mode = report.FollowHex
		}
		sinks = append(sinks, sink.NewFollow(f.follow, stdout, mode, ""))
	case f.format == "jsonl":
		sinks = append(sinks, sink.NewJSONL(stdout, &r.Stats, ropts))
	case f.format == "json":
		sinks = append(sinks, sink.NewJSON(stdout, &r.Stats, ropts, ""))
	case f.explain:
		sinks = append(sinks, sink.NewText(stdout, &r.Stats, ropts, sink.Explained, ""))
	case f.summary:
		sinks = append(sinks, sink.NewText(stdout, &r.Stats, ropts, sink.Summary, ""))
	default:
		sinks = append(sinks, sink.NewText(stdout, &r.Stats, ropts, sink.Timelines, ""))
	}

	sum, err := pipeline.Run(r, opts, sinks...)
	if perr := picsDone(err); err == nil {
		err = perr
	}
	bar.done()
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	if len(sum.Errors) > 0 {
		for _, e := range sum.Errors {
			fmt.Fprintf(stderr, "tcpflow: %v\n", e)
		}
		return exitFault
	}
	return exitOK
}

// selector builds the connection filter from --conn, --host and --port. A
// connection is kept when it matches every kind of criterion given (any of the
// values within a kind).
func selector(f *flags) (func(*pipeline.Connection) bool, error) {
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
	return func(c *pipeline.Connection) bool {
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

// sizeValue is a byte count flag: 1048576, 64KB, 256MB, 1GB (powers of 1024).
type sizeValue struct{ n *int64 }

func (v sizeValue) String() string {
	if v.n == nil || *v.n == 0 {
		return ""
	}
	return sizeString(*v.n)
}

func (v sizeValue) Type() string { return "SIZE" }

func (v sizeValue) Set(s string) error {
	mult := int64(1)
	num := strings.ToUpper(strings.TrimSpace(s))
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSuffix(num, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size (write e.g. 256MB)", s)
	}
	*v.n = n * mult
	return nil
}

func sizeString(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GB"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MB"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KB"
	}
	return strconv.FormatInt(n, 10)
}
