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

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT says
// otherwise: the garbage collector works harder as the heap nears it instead
// of letting it double, so peak memory follows what is live (bounded by
// --max-conns and --max-buffer) rather than twice that.
const memoryLimit = 384 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// A closed output pipe (tcpflow big.pcap | head) makes writes fail with
	// EPIPE instead of killing the process, so that it ends quietly with
	// the status it has.
	signal.Ignore(syscall.SIGPIPE)
	// The first Ctrl-C or SIGTERM stops reading and prints the report of
	// what was read; the second ends the process.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	s := &sys{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, signals: sigs}
	os.Exit(s.run(os.Args[1:], func() { signal.Reset(os.Interrupt, syscall.SIGTERM) }))
}
