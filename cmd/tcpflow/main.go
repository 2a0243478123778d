// Command tcpflow analyzes the TCP connections in packet captures: each
// connection's state machines, sequence numbers, options and what went wrong,
// as a timeline, a plain-language explanation or JSON.
package main

import (
	"os"
	"runtime/debug"
)

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT says
// otherwise: the garbage collector works harder as the heap nears it instead
// of letting it double, so peak memory follows what is live (bounded by
// --max-conns and --max-buffer) rather than twice that.
const memoryLimit = 384 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
