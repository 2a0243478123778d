// Package report writes what the analysis found: a summary table of connections
// and per-connection timelines (Text), a plain-language walk-through of
// handshakes and teardowns with a ladder diagram (Explain), one JSON document
// for machines (JSON, schema in docs/json-schema.md), and frame by frame, a
// dissection of every header field (DissectFrame, AppendDissectText,
// AppendDissectJSON) or tcpdump's lines (AppendTcpdump).
//
// Every writer takes the io.Writer to write to; nothing else here does I/O. All
// ordering decisions live here: connections by id, segments by frame,
// transitions by frame then endpoint, so output is byte-identical on every run.
package report
