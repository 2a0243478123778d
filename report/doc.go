// Package report writes what the analysis found: a summary table of connections
// and per-connection timelines (Text), a plain-language walk-through of
// handshakes and teardowns with a ladder diagram (Explain), and one JSON document
// for machines (JSON, schema in docs/json-schema.md).
//
// Text reports fit Options.Width columns (100 by default in tcpflow): the
// connection table gives each connection two lines and keeps the columns
// that fit (table.go), long lines wrap with indented continuations
// (wrap.go). Width 0 is tcpflow --wide: one table row per connection with
// every column, lines as long as they need.
//
// Every writer takes the io.Writer to write to; nothing else here does I/O. All
// ordering decisions live here: connections by id, segments by frame,
// transitions by frame then endpoint, so output is byte-identical on every run.
package report
