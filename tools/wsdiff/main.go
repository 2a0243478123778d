// Command wsdiff compares tcpflow with tshark frame by frame over captures and
// directories of captures: per capture and overall, how many frames agree on
// tcp.stream, relative seq and ack, len, scaled window, the set of
// tcp.analysis findings, and tcp.analysis.acks_frame and ack_rtt, and which
// frames disagree.
//
//	go run ./tools/wsdiff [-v] [-max N] [-min-analysis 99.5] [-known FILE] FILE_OR_DIR...
//
// It exits 1 when a target is missed: a difference in tcp, stream, seq, ack,
// len, win, acks_frame or ack_rtt that internal/wsdiff/testdata/known-differences.tsv does not
// explain, or analysis sets agreeing on fewer than -min-analysis percent of the
// frames; 2 on usage errors or when a capture could not be compared.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
