// Command tcpflow analyzes the TCP connections in packet captures: each
// connection's state machines, sequence numbers, options and what went wrong,
// as a timeline, a plain-language explanation or JSON.
package main

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// The garbage collector's settings unless GOGC and GOMEMLIMIT say otherwise:
// tcpflow keeps little live memory (bounded by --max-conns, --max-buffer and
// the spools) and allocates much that dies young, so a heap that grows to
// 1.5 times what is live, not twice, costs a few percent of CPU and keeps
// peak memory down; the soft limit makes the collector work harder before
// the heap reaches it.
//
// --explain sets 30 instead: it renders far slower than the analysis runs,
// building its sentences from many short-lived strings, and a third of its
// heap at the peak was garbage. At 30 its peak on the many captures of
// docs/PERFORMANCE.md is 129/131/138 MB at a quarter, half and all of 2 M
// packets, against 153/155/156 MB at 50 (over the 150 MB every mode is held
// to), in the same time within 2 %: the renderer, not the collector, sets
// its pace. The other modes keep 50: at 40 the default report took 3 %
// longer.
const (
	gcPercent        = 50
	explainGCPercent = 30
	memoryLimit      = 384 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(process())
}

// process runs tcpflow as this process: its arguments, standard streams and
// signals. The tests' TestMain calls it too, so that a test binary run as
// tcpflow behaves as tcpflow does.
func process() int {
	// A closed output pipe (tcpflow big.pcap | head) makes writes fail with
	// EPIPE instead of killing the process, so that it ends quietly with
	// the status it has.
	signal.Ignore(syscall.SIGPIPE)
	// The first Ctrl-C or SIGTERM stops reading and prints the report of
	// what was read; the second ends the process.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	s := &sys{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, signals: sigs}
	return s.run(os.Args[1:], func() { signal.Reset(os.Interrupt, syscall.SIGTERM) })
}
