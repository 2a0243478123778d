// Package sink holds the outputs of a run: each is a pipeline.Sink that
// receives connections as they finish (and segments or bytes where it wants
// them) and writes a report, rendered by package report.
//
// It provides:
//   - Text: the connection table, the expert summary and each connection's
//     facts, with timelines (the default), without (--summary), or each
//     connection explained in words (--explain);
//   - JSON: one document; JSONL: one object per line, written as things
//     happen;
//   - Facts: the facts of a golden report (tcpflow check);
//   - Follow and Raw: one connection's conversation (--follow);
//   - StreamFiles: each direction's bytes in a file of its own
//     (--write-streams), with a manifest;
//   - Packets: each frame dissected (--dissect) or as tcpdump prints it
//     (--format tcpdump), written as the frames come.
//   - HTML: the self-contained HTML report (--html) and the graphs as SVG
//     files (--svg) of the connections that matter, picked as they finish.
//
// Reports whose order is not the order connections finish in (the table
// first, connections by id, one JSON document) keep each rendered connection
// in a spool (internal/spool: memory up to a limit, then an unlinked
// temporary file) and write the report at the end, so memory stays bounded by
// what is open, not by the size of the capture.
package sink
