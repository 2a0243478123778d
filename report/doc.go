// Package report renders what the analysis found, piece by piece, to the
// writer or buffer it is handed: the capture header (Header), the connection
// table (TableHeader, TableRow, Table, TableDrawer), each connection's facts
// and health (ConnFacts) and annotated timeline (Timeline), the expert summary
// (Expert), the plain-language walk-through with its tcpdump lines, state
// diagram and ladder diagram (Explain), the glossary of the terms the
// walk-throughs of a report use, written once before them (Glossary,
// WriteGlossary), the capture header as they show it (ExplainHeader), the
// JSON document in streamable pieces (JSONStart, AppendConnJSON, JSONEnd;
// schema in docs/json-schema.md), JSON Lines
// (AppendSegmentLine, AppendConnLine, AppendCaptureLine), the facts of golden
// reports (CaptureFacts, ConnFactList), --follow's conversation, the --write-streams
// manifest entries, and frame by frame a dissection of every header field
// (DissectFrame, AppendDissectText, AppendDissectJSON) or tcpdump's lines
// (AppendTcpdump), the rows of the Parquet tables (ConnRowOf, SegmentRowOf,
// RunRowOf), and the pieces of the HTML report (HTMLStart, HTMLConn,
// HTMLData, ...) with the pictures it shows: each connection's graphs and
// ladder as SVG (ConnPictures), which also stand alone (StandaloneSVG).
//
// Text reports fit Options.Width columns (100 by default in tcpflow): the
// connection table gives each connection two lines and keeps the columns
// that fit (table.go), long lines wrap with indented continuations
// (wrap.go). Width 0 is tcpflow --wide: one table row per connection with
// every column, lines as long as they need.
//
// Nothing here reads captures or does file I/O: package sink puts the pieces
// together into outputs, in the order each needs. Within a piece every list
// is in a defined order (segments by frame, transitions by frame then
// endpoint), so output is byte-identical on every run.
package report
