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
	format  string
	explain bool
	abs     bool
	summary bool
	conns   []string
	hosts   []string
	ports   []string
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
	if f.format != "text" && f.format != "json" && f.format != "jsonl" {
		fmt.Fprintf(stderr, "tcpflow: unknown --format %q (want text, json or jsonl)\n", f.format)
		return exitUsage
	}
	sel, err := selector(&f)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	r := capture.NewReader(fs.Args()...)
	if stdin != nil {
		r.Stdin = stdin
	}
	defer r.Close()
	keep := !f.summary || f.explain
	opts := report.Options{Absolute: f.abs, Summary: f.summary}
	var res *state.Result
	switch {
	case f.format == "jsonl":
		// Streamed: each connection is written and forgotten once it finishes.
		jw := report.NewJSONL(stdout, &r.Stats, opts)
		n := 0
		res = state.Run(r, state.Options{KeepRecords: keep, Done: func(c *state.Connection) {
			jw.Conn(c)
			n++
		}}, sel)
		err = jw.Close(res, n)
	default:
		res = state.Run(r, state.Options{KeepRecords: keep}, sel)
	}
	switch {
	case f.format == "jsonl":
	case f.format == "json":
		err = report.JSON(stdout, res, opts)
	case f.explain:
		err = report.Explain(stdout, res, opts)
	default:
		err = report.Text(stdout, res, opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow: writing report: %v\n", err)
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
