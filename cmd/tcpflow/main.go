// Command tcpflow analyzes the TCP connections in packet captures: each
// connection's state machines, sequence numbers, options and what went wrong,
// as a timeline, a plain-language explanation or JSON.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
