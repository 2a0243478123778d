package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/stream"
)

// flags holds every option of tcpflow (check has its own, in check.go).
// To add one: a field here, its definition in define under the section
// --help should list it in, its checks in checkFlags.
type flags struct {
	// Input
	read   []string // -r: captures; then every argument is the filter
	filter string   // -f: the capture filter
	count  uint64   // -c: stop after this many frames
	noDNS  bool     // -n: accepted; tcpflow never resolves names

	// Output
	format       string
	summary      bool
	explain      bool
	explainLimit int
	wide         bool
	abs          bool

	// Selection
	conns []string
	hosts []string
	ports []string
	tri   triageFlags // --problems, --sort, --top (triage.go)

	// Streams
	follow       int // -1 when --follow is not given
	followFormat string
	side         string
	raw          bool
	writeStreams string
	force        bool

	// Limits
	reassemble bool
	maxConns   int
	maxBuffer  int64

	// Packets and live capture (packets.go, live.go)
	packets  packetFlags
	live     liveFlags
	set      setFlags     // capture sets and Parquet output (parquet.go)
	pictures pictureFlags // --html, --svg (html.go)

	// Other
	quiet      bool
	version    bool
	cpuProfile string
	memProfile string
}

// define declares tcpflow's flags on fs, in the sections --help shows.
func (f *flags) define(fs *pflag.FlagSet) []helpSection {
	var h helpSections
	h.start(fs, "Input")
	fs.StringArrayVarP(&f.read, "read", "r", nil, "read the capture `FILE` (\"-\" for standard input); repeatable. With -r, every argument is the capture filter, as in tcpdump")
	fs.StringVarP(&f.filter, "filter", "f", "", "analyze only the frames the capture filter `EXPR` keeps (tcpdump's language, see docs/filters.md); also written after the captures")
	fs.Uint64VarP(&f.count, "count", "c", 0, "stop after `N` frames the capture filter kept (every frame without a filter), as tcpdump -c")
	fs.BoolVarP(&f.noDNS, "numeric", "n", false, "accepted for tcpdump's habit: tcpflow never resolves names")
	f.set.registerInput(fs)

	h.start(fs, "Output")
	fs.StringVar(&f.format, "format", "text", "the report's `FORMAT`: text, json (one document), jsonl (one object per line, streamed as connections finish) tcpdump (each frame as tcpdump -nn -S -vvv prints it) or parquet (tables under --out, docs/parquet.md)")
	fs.BoolVar(&f.summary, "summary", false, "the table and each connection's facts, no timelines (JSON: no segments); memory stays flat")
	fs.BoolVar(&f.explain, "explain", false, "explain each selected connection in words, segment by segment, with the tcpdump line of each, its state diagram and a ladder diagram")
	fs.IntVar(&f.explainLimit, "explain-limit", report.DefaultExplainLimit, "with --explain: tell every segment of a connection of at most `N` segments; of longer ones the first and last, the notable ones, and a summary of the rest")
	fs.BoolVar(&f.wide, "wide", false, "one table row per connection with every column, and lines as long as they need (text is cut to 100 columns otherwise)")
	fs.BoolVar(&f.abs, "abs", false, "absolute sequence and acknowledgment numbers in timelines")
	f.set.registerOutput(fs)
	f.pictures.register(fs)

	h.start(fs, "Packets")
	addPacketFlags(fs, &f.packets)

	h.start(fs, "Live capture")
	addLiveFlags(fs, &f.live)

	h.start(fs, "Selection")
	fs.StringSliceVar(&f.conns, "conn", nil, "only connection `ID` (Wireshark's tcp.stream); repeatable or comma-separated")
	fs.StringSliceVar(&f.hosts, "host", nil, "only connections with an endpoint at `ADDR`; repeatable")
	fs.StringSliceVar(&f.ports, "port", nil, "only connections with an endpoint on `PORT`; repeatable")
	f.tri.register(fs)

	h.start(fs, "Streams")
	fs.IntVar(&f.follow, "follow", -1, "print connection `ID`'s conversation, both sides interleaved, like Wireshark's Follow TCP Stream")
	fs.StringVar(&f.followFormat, "follow-format", "text", "with --follow: the `FORMAT`, text (non-printable bytes escaped) or hex")
	fs.StringVar(&f.side, "side", "", "with --follow --raw: the `SIDE` whose bytes to write, client or server")
	fs.BoolVar(&f.raw, "raw", false, "with --follow and --side: write that side's bytes unchanged to standard output")
	fs.StringVar(&f.writeStreams, "write-streams", "", "write each direction of each connection to `DIR`/<id>-c2s.bin and <id>-s2c.bin, with DIR/streams.json")
	fs.BoolVar(&f.force, "force", false, "with --write-streams, --format parquet, --html or --svg: overwrite files that already exist")

	h.start(fs, "Limits")
	fs.BoolVar(&f.reassemble, "reassemble", false, "reassemble the byte streams also with --summary and --format jsonl (timelines and JSON always do)")
	fs.IntVar(&f.maxConns, "max-conns", pipeline.DefaultMaxConns, "track at most `N` connections at once; beyond, the least valuable are finished early as evicted (idle half-open ones first); 0 for no limit")
	fs.Var(sizeValue{&f.maxBuffer}, "max-buffer", "hold at most `SIZE` bytes of out-of-order data for reassembly in all, e.g. 64MB (default "+sizeString(stream.DefaultOptions.MaxBytesTotal)+")")

	h.start(fs, "Other")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar (it shows on a terminal while a big file is read)")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.BoolP("help", "h", false, "show this help")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) to `FILE`")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (pprof) to `FILE` at the end")
	return h.done(fs)
}

// validate checks the flags that depend on each other.
func (f *flags) validate() error {
	switch {
	case f.format != "text" && f.format != "json" && f.format != "jsonl" && f.format != "tcpdump" && f.format != "parquet":
		return fmt.Errorf("unknown --format %q (want text, json, jsonl, tcpdump or parquet)", f.format)
	case f.followFormat != "text" && f.followFormat != "hex":
		return fmt.Errorf("unknown --follow-format %q (want text or hex)", f.followFormat)
	case f.raw && (f.follow < 0 || (f.side != "client" && f.side != "server")):
		return errors.New("--raw needs --follow ID and --side client or --side server")
	case f.side != "" && !f.raw:
		return errors.New("--side is for --raw")
	case f.explainLimit < 1:
		return fmt.Errorf("--explain-limit %d: want 1 or more segments", f.explainLimit)
	case f.maxConns < 0:
		return fmt.Errorf("--max-conns %d: want a number of connections, or 0 for no limit", f.maxConns)
	}
	if _, err := f.tri.triage(f); err != nil {
		return err
	}
	if err := checkSetFlags(f); err != nil {
		return err
	}
	return checkPacketFlags(f)
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
