// Command tcpflow analyzes the TCP connections in packet captures: each
// connection's state machines, sequence numbers, options and what went wrong,
// as a timeline, a plain-language explanation or JSON.
package main

import (
	"os"
	"runtime/debug"
)

// The garbage collector's settings unless GOGC and GOMEMLIMIT say otherwise:
// tcpflow keeps little live memory (bounded by --max-conns, --max-buffer and
// the spools) and allocates much that dies young, so a heap that grows to
// 1.5 times what is live, not twice, costs a few percent of CPU and keeps
// peak memory down; the soft limit makes the collector work harder before
// the heap reaches it.
const (
	gcPercent   = 50
	memoryLimit = 384 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
