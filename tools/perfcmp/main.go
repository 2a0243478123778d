// Command perfcmp times whole processes side by side for docs/PERFORMANCE.md:
// tcpflow's modes, the "limit" loop (tools/limit: read and decode only) and the
// tools users compare us with (tshark, tcptrace, the tcpflow C tool), on the
// same files in one run. Each command runs -reps times, the commands of a file
// alternating (so a slow phase of the machine hits all of them alike); it
// reports the median wall time, the median CPU time (user+system), the peak
// RSS and the ratio of the median wall time to the limit loop's.
//
//	go build -o /tmp/tcpflow ./cmd/tcpflow && go build -o /tmp/limit ./tools/limit
//	go run ./tools/gen -profile many -packets 2000000 -o /tmp/many.pcap
//	go run ./tools/perfcmp -tcpflow /tmp/tcpflow -limit /tmp/limit -reps 5 many=/tmp/many.pcap ...
//
// A file named bulk, or every file with -streams, also runs the
// --write-streams comparison with the C tool. Outputs go to -out (default: a
// temporary directory); each run writes into a directory of its own, removed
// only at the end, because on ext4 creating files right after deleting
// thousands costs several times more (the inode allocator skips recently
// deleted inodes: ext4's recently_deleted), which would charge one tool for
// the other's files. With -rm each run's directory is removed right after it
// instead: on tmpfs, or on a virtual machine whose memory is slow the first
// time a page is touched, keeping every run's files (10 GB for five runs of
// each tool on the bulk capture) makes the later runs write into fresh
// pages, which took both tools three times as long here. Missing tools are
// skipped with a note. Output is a Markdown table on stdout.
//
// With -modes it runs tcpflow in every output mode instead (the default text
// report, --explain, --format json, --format jsonl, --summary, and
// --write-streams), for the memory table of docs/PERFORMANCE.md:
//
//	go run ./tools/perfcmp -tcpflow /tmp/tcpflow -modes -reps 1 \
//	    quarter=/tmp/many500k.pcap half=/tmp/many1m.pcap full=/tmp/many2m.pcap flood=/tmp/synflood2m.pcap
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

type command struct {
	name string
	argv []string
	dir  bool // writes into a fresh directory (the last argument)
}

type sample struct {
	wall, cpu time.Duration
	rss       int64 // KiB
}

func main() {
	tcpflow := flag.String("tcpflow", "tcpflow-go", "our tcpflow binary")
	limit := flag.String("limit", "limit", "the limit loop binary (tools/limit)")
	reps := flag.Int("reps", 5, "repetitions of each command")
	only := flag.String("only", "", "comma-separated command names to run (default all)")
	modes := flag.Bool("modes", false, "run tcpflow in every output mode instead of comparing tools")
	streams := flag.Bool("streams", false, "compare --write-streams with the C tool on every file, not only on bulk")
	outDir := flag.String("out", "", "where the runs' output directories go (default: a temporary directory)")
	flag.BoolVar(&removeEach, "rm", false, "remove each run's output directory right after the run (tmpfs; memory slow to touch first)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: perfcmp [flags] NAME=FILE...")
		os.Exit(2)
	}
	tmp, err := os.MkdirTemp(*outDir, "perfcmp")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)

	fmt.Printf("Machine: %s, %d CPUs, Go %s, %s\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| file | command | median wall | median CPU | peak RSS | wall / limit |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, arg := range flag.Args() {
		name, file, ok := strings.Cut(arg, "=")
		if !ok {
			fatal(fmt.Errorf("%q: want NAME=FILE", arg))
		}
		cmds := commands(*tcpflow, *limit, file, name == "bulk" || *streams, tmp)
		if *modes {
			cmds = modeCommands(*tcpflow, *limit, file, tmp)
		}
		if *only != "" {
			keep := strings.Split(*only, ",")
			cmds = slices.DeleteFunc(cmds, func(c command) bool { return c.name != "limit" && !slices.Contains(keep, c.name) })
		}
		results := make([][]sample, len(cmds))
		for rep := 0; rep < *reps; rep++ {
			for i, c := range cmds {
				s, err := runOnce(c, tmp)
				if err != nil {
					fmt.Fprintf(os.Stderr, "perfcmp: %s on %s: %v (skipped)\n", c.name, name, err)
					results[i] = nil
					continue
				}
				results[i] = append(results[i], s)
			}
		}
		var limitWall time.Duration
		for i, c := range cmds {
			if len(results[i]) == 0 {
				continue
			}
			wall, cpu, rss := summarize(results[i])
			if c.name == "limit" {
				limitWall = wall
			}
			ratio := "-"
			if limitWall > 0 {
				ratio = fmt.Sprintf("%.2f", float64(wall)/float64(limitWall))
			}
			fmt.Printf("| %s | `%s` | %.2f s | %.2f s | %d MB | %s |\n", name, c.name, wall.Seconds(), cpu.Seconds(), rss/1024, ratio)
		}
	}
}

// commands lists what runs on one file: the limit loop first.
func commands(tcpflow, limit, file string, bulk bool, tmp string) []command {
	fields := []string{"-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.flags.str", "-e", "tcp.seq",
		"-e", "tcp.ack", "-e", "tcp.len", "-e", "tcp.window_size_value", "-e", "tcp.window_size", "-e", "tcp.analysis.flags",
		"-e", "tcp.analysis.ack_rtt", "-e", "tcp.analysis.bytes_in_flight"}
	cmds := []command{
		{name: "limit", argv: []string{limit, file}},
		{name: "tcpflow --summary", argv: []string{tcpflow, "--summary", "--quiet", file}},
		{name: "tcpflow --format jsonl", argv: []string{tcpflow, "--format", "jsonl", "--quiet", file}},
		{name: "tcpflow --summary --html", argv: []string{tcpflow, "--summary", "--quiet", "--html", filepath.Join(tmp, "report.html"), file}},
		{name: "tshark -q -z conv,tcp", argv: []string{"tshark", "-n", "-q", "-z", "conv,tcp", "-r", file}},
		{name: "tshark -q -z expert", argv: []string{"tshark", "-n", "-q", "-z", "expert", "-r", file}},
		{name: "tshark -T fields", argv: append([]string{"tshark", "-n", "-r", file}, fields...)},
		{name: "tcptrace -n -l", argv: []string{"tcptrace", "-n", "-l", file}},
		{name: "tcptrace -n -r -l", argv: []string{"tcptrace", "-n", "-r", "-l", file}},
	}
	if bulk {
		cmds = append(cmds,
			command{name: "tcpflow --write-streams", argv: []string{tcpflow, "--summary", "--quiet", "--write-streams", filepath.Join(tmp, "out")}, dir: true},
			command{name: "tcpflow (C) -r F -o DIR", argv: []string{"/usr/bin/tcpflow", "-r", file, "-o", filepath.Join(tmp, "out")}, dir: true},
		)
		cmds[len(cmds)-2].argv = append(cmds[len(cmds)-2].argv, file)
	}
	return cmds
}

// modeCommands runs tcpflow in each output mode on file.
func modeCommands(tcpflow, limit, file, tmp string) []command {
	mode := func(args ...string) command {
		return command{name: "tcpflow " + strings.Join(args, " "), argv: append(append([]string{tcpflow, "--quiet"}, args...), file)}
	}
	ws := mode("--summary", "--write-streams", filepath.Join(tmp, "out"))
	ws.name, ws.dir = "tcpflow --summary --write-streams DIR", true
	pq := mode("--format", "parquet", "--out", filepath.Join(tmp, "out"))
	pq.name, pq.dir = "tcpflow --format parquet --out DIR", true
	html := mode("--summary", "--html", filepath.Join(tmp, "out", "r.html"))
	html.name, html.dir = "tcpflow --summary --html FILE", true
	return []command{
		{name: "limit", argv: []string{limit, file}},
		{name: "tcpflow (default: table and timelines)", argv: []string{tcpflow, "--quiet", file}},
		mode("--explain"),
		mode("--format", "json"),
		mode("--format", "jsonl"),
		mode("--summary"),
		ws,
		pq,
		html,
	}
}

// runs numbers the runs, for their output directories.
var runs int

// removeEach is -rm: each run's output directory is removed after the run.
var removeEach bool

func runOnce(c command, tmp string) (sample, error) {
	if _, err := exec.LookPath(c.argv[0]); err != nil {
		return sample{}, err
	}
	// A fresh directory for each run, in place of tmp/out in the arguments.
	runs++
	out, fresh := filepath.Join(tmp, "out"), filepath.Join(tmp, fmt.Sprintf("out-%d", runs))
	argv := slices.Clone(c.argv)
	for i, a := range argv {
		if rest, ok := strings.CutPrefix(a, out); ok {
			argv[i] = fresh + rest
		}
	}
	if c.dir {
		if err := os.MkdirAll(fresh, 0o755); err != nil {
			return sample{}, err
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return sample{}, err
	}
	defer devnull.Close()
	cmd.Stdout, cmd.Stderr = devnull, devnull
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if removeEach {
		os.RemoveAll(fresh)
	}
	if cmd.ProcessState == nil {
		return sample{}, err
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	s := sample{wall: wall}
	if ru != nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.rss = ru.Maxrss
	}
	if err != nil && !cmd.ProcessState.Exited() {
		return s, err
	}
	return s, nil
}

func summarize(ss []sample) (wall, cpu time.Duration, rss int64) {
	walls := make([]time.Duration, len(ss))
	cpus := make([]time.Duration, len(ss))
	for i, s := range ss {
		walls[i], cpus[i] = s.wall, s.cpu
		rss = max(rss, s.rss)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return walls[len(walls)/2], cpus[len(cpus)/2], rss
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "perfcmp:", err)
	os.Exit(1)
}
