// Package report writes what the analysis found: a summary table of connections
// and per-connection timelines (Text), a plain-language walk-through of
// handshakes and teardowns with a ladder diagram (Explain), one JSON document
// for machines (JSON, schema in docs/json-schema.md), and the pieces of the
// HTML report (HTMLStart, HTMLConn, HTMLData, ...) with the pictures it shows:
// each connection's graphs and ladder as SVG (ConnPictures), which also stand
// alone (StandaloneSVG).
//
// Every writer takes the io.Writer to write to; nothing else here does I/O. All
// ordering decisions live here: connections by id, segments by frame,
// transitions by frame then endpoint, so output is byte-identical on every run.
package report
