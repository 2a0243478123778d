package report

import (
	"bufio"
	"bytes"
	"html"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// This file renders the pieces of the HTML report (sink.HTML puts them
// together): one self-contained page, its style sheet, script and pictures
// inline, nothing loaded from elsewhere. Everything that comes from a
// capture (names, addresses, protocol names, payload excerpts) is escaped.

// HTMLFigures are the counts the page's head shows.
type HTMLFigures struct {
	Conns    int // rows of the connection table
	Problems int // connections whose verdict is not clean
	Detailed int // connections with a section of their own
}

// HTMLStart writes the start of the document: its head, the capture
// summary (the text report's header) and the key figures.
func HTMLStart(w *bufio.Writer, sum *pipeline.Summary, fig HTMLFigures) {
	var names []string
	for _, in := range sum.Inputs {
		names = append(names, in.Name)
	}
	title := "tcpflow: " + strings.Join(names, ", ")
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	w.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	w.WriteString("<meta name=\"generator\" content=\"tcpflow\">\n<title>")
	w.WriteString(html.EscapeString(title))
	w.WriteString("</title>\n<style>\n")
	w.WriteString(pageStyle)
	w.WriteString(SVGStyle)
	w.WriteString("</style>\n</head>\n<body>\n<header class=\"top\"><h1>")
	w.WriteString(html.EscapeString(title))
	w.WriteString("</h1>\n<nav><a href=\"#capture\">Capture</a><a href=\"#connections\">Connections</a><a href=\"#expert\">Expert summary</a><a href=\"#details\">In detail</a></nav></header>\n<main>\n")
	w.WriteString("<section id=\"capture\"><h2>Capture</h2>\n<div class=\"cards\">")
	st := &sum.Stats
	card := func(v, what string) {
		w.WriteString("<div class=\"card\"><b>" + html.EscapeString(v) + "</b>" + html.EscapeString(what) + "</div>")
	}
	card(strconv.Itoa(fig.Conns), "connections")
	card(strconv.Itoa(fig.Problems), "with problems")
	card(u64(st.TCP), "TCP segments")
	if st.Frames > 0 {
		card(duration(st.LastTime-st.FirstTime), "captured")
	}
	card(strconv.Itoa(fig.Detailed), "shown in detail")
	w.WriteString("</div>\n<pre class=\"hdr\">")
	var hdr bytes.Buffer
	hw := bufio.NewWriter(&hdr)
	Header(hw, sum, Options{}) // no width: the page scrolls
	hw.Flush()
	w.WriteString(html.EscapeString(hdr.String()))
	w.WriteString("</pre>\n</section>\n")
}

// htmlNumeric marks the table's numeric columns, sorted as numbers.
var htmlNumeric = []bool{true, false, false, false, true, true, true, true, true, false, false, false, false, false}

// htmlDict marks the columns whose values repeat (server, states, end, Zeek,
// verdict): the table's data gives them as indexes into a dictionary.
var htmlDict = []bool{false, false, true, false, false, false, false, false, false, true, true, true, true, true}

// HTMLPageRows is how many rows the connection table shows at a time. The
// first page is written as HTML, so the page shows it at once (and without
// JavaScript); the page's script reads the data of all rows only when asked
// to sort, filter or turn the page, so a capture of many connections opens
// as fast as a small one.
const HTMLPageRows = 200

// HTMLTableStart writes the connection table's controls and head, for rows
// rows; the first page of rows follows (HTMLTableRow), then HTMLTableEnd.
func HTMLTableStart(w *bufio.Writer, rows int) {
	w.WriteString("<section id=\"connections\"><h2>Connections</h2>\n")
	w.WriteString("<p class=\"ctl\"><label>Filter <input id=\"q\" type=\"search\" size=\"36\" placeholder=\"address, port, state, RST, retransmission...\"></label> ")
	w.WriteString("<label><input id=\"bad\" type=\"checkbox\"> only connections with problems</label> <span id=\"info\"></span></p>\n")
	if rows > HTMLPageRows {
		w.WriteString("<noscript><p>The first " + strconv.Itoa(HTMLPageRows) + " connections; sorting, filtering and the others need JavaScript.</p></noscript>\n")
	}
	w.WriteString("<div class=\"tablewrap\"><table id=\"conns\" data-n=\"" + strconv.Itoa(rows) + "\" data-page=\"" + strconv.Itoa(HTMLPageRows) + "\"><thead><tr>")
	for i, h := range TableHeader {
		w.WriteString("<th data-col=\"" + strconv.Itoa(i) + "\">" + html.EscapeString(h) + "</th>")
	}
	w.WriteString("</tr></thead>\n<tbody id=\"conn-body\">\n")
}

// htmlAnchor is the id of a connection's section: "c12", "c12-2" for the
// second part of connection 12.
func htmlAnchor(id string) string { return "c" + strings.ReplaceAll(id, ".", "-") }

// HTMLTableRow writes one row of the connection table, from TableRow's
// cells; detailed says whether the connection has a section to link to,
// problem whether its verdict is a problem (Problem: the rows --problems
// keeps are the rows marked).
func HTMLTableRow(w *bufio.Writer, cells []string, detailed, problem bool) {
	if problem {
		w.WriteString("<tr class=\"bad\">")
	} else {
		w.WriteString("<tr>")
	}
	for i, c := range cells {
		switch {
		case i == len(cells)-1:
			w.WriteString("<td class=\"v\">")
		case htmlNumeric[i]:
			w.WriteString("<td class=\"n\">")
		default:
			w.WriteString("<td>")
		}
		if i == 0 && detailed {
			w.WriteString("<a href=\"#" + htmlAnchor(c) + "\">" + html.EscapeString(c) + "</a>")
		} else {
			w.WriteString(html.EscapeString(c))
		}
		w.WriteString("</td>")
	}
	w.WriteString("</tr>\n")
}

// HTMLTableEnd closes the table and writes its pager.
func HTMLTableEnd(w *bufio.Writer) {
	w.WriteString("</tbody></table></div>\n<p class=\"ctl\" id=\"pager\"></p>\n</section>\n")
}

// HTMLData builds the table's data, which the page's script reads: a JSON
// object {"r": rows, "d": dictionaries}, safe inside a script element. A
// row is an array of TableRow's cells, numbers as numbers (an id with a part
// as a string), the repeating columns as indexes into their dictionary
// (htmlDict), then 1 when the connection has a section, else 0, then 1 when
// its verdict is a problem (Problem), else 0. A
// dictionary holds at most htmlDictMax values, so its memory is bounded
// whatever the capture; values beyond are given as strings.
type HTMLData struct {
	dict  [][]string
	index []map[string]int
	b     []byte
	rows  int
}

const htmlDictMax = 4096

// Start writes the data's opening (the end of the page's main part).
func (d *HTMLData) Start(w *bufio.Writer) {
	w.WriteString("</main>\n<script type=\"application/json\" id=\"rows\">{\"r\":[")
	d.dict = make([][]string, len(TableHeader))
	d.index = make([]map[string]int, len(TableHeader))
	for i := range d.index {
		if htmlDict[i] {
			d.index[i] = map[string]int{}
		}
	}
}

// flag is a boolean as the row data writes it.
func flag(b bool) byte {
	if b {
		return '1'
	}
	return '0'
}

// Row writes one row.
func (d *HTMLData) Row(w *bufio.Writer, cells []string, detailed, problem bool) {
	b := d.b[:0]
	if d.rows > 0 {
		b = append(b, ",\n"...)
	}
	d.rows++
	b = append(b, '[')
	for i, c := range cells {
		switch {
		case i == 0 && strings.IndexByte(c, '.') < 0, i > 0 && htmlNumeric[i]:
			b = append(b, c...) // already a JSON number
		case htmlDict[i]:
			n, ok := d.index[i][c]
			if !ok && len(d.dict[i]) < htmlDictMax {
				n, ok = len(d.dict[i]), true
				d.index[i][c] = n
				d.dict[i] = append(d.dict[i], c)
			}
			if ok {
				b = strconv.AppendInt(b, int64(n), 10)
			} else {
				b = appendString(b, c)
			}
		default:
			b = appendString(b, c)
		}
		b = append(b, ',')
	}
	b = append(b, flag(detailed), ',', flag(problem), ']')
	w.Write(b)
	d.b = b
}

// End closes the data with its dictionaries, and writes the page's script
// and the end of the document.
func (d *HTMLData) End(w *bufio.Writer) {
	b := append(d.b[:0], "],\n\"d\":["...)
	for i, dict := range d.dict {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range dict {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		b = append(b, ']')
	}
	w.Write(append(b, "]}</script>\n<script>\n"...))
	w.WriteString(pageScript)
	w.WriteString("</script>\n</body>\n</html>\n")
}

// WriteHTML writes the expert summary as a table; the connections named
// link to their sections when detailed says they have one.
func (e *Expert) WriteHTML(w *bufio.Writer, detailed func(id int) bool) {
	w.WriteString("<section id=\"expert\"><h2>Expert summary</h2>\n")
	rows := e.list()
	if len(rows) == 0 {
		w.WriteString("<p>No findings: no retransmissions, losses, duplicate ACKs or window problems.</p>\n</section>\n")
		return
	}
	w.WriteString("<p>As <code>tshark -z expert</code> counts them, with the connections worst hit.</p>\n")
	w.WriteString("<table><thead><tr><th>finding</th><th>segments</th><th>connections</th><th>worst hit (count)</th></tr></thead><tbody>\n")
	for _, r := range rows {
		w.WriteString("<tr><td>" + html.EscapeString(r.Kind.Text()) + "</td><td class=\"n\">" + strconv.FormatInt(r.Total, 10) +
			"</td><td class=\"n\">" + strconv.Itoa(r.Conns) + "</td><td>")
		for i, cc := range r.Worst {
			if i > 0 {
				w.WriteString(", ")
			}
			id := strconv.Itoa(cc.ID)
			if detailed(cc.ID) {
				w.WriteString("<a href=\"#" + htmlAnchor(id) + "\">#" + id + "</a>")
			} else {
				w.WriteString("#" + id)
			}
			w.WriteString(" (" + strconv.FormatInt(cc.N, 10) + ")")
		}
		w.WriteString("</td></tr>\n")
	}
	w.WriteString("</tbody></table>\n</section>\n")
}

// HTMLDetailsStart opens the part of connections shown in detail; note says
// how they were chosen.
func HTMLDetailsStart(w *bufio.Writer, note string) {
	w.WriteString("<section id=\"details\"><h2>Connections in detail</h2>\n<p>")
	w.WriteString(html.EscapeString(note))
	w.WriteString("</p>\n")
}

// HTMLDetailsEnd closes the part of connections shown in detail.
func HTMLDetailsEnd(w *bufio.Writer) { w.WriteString("</section>\n") }

// HTMLConnOptions bound a connection's section.
type HTMLConnOptions struct {
	Options
	// TimelineHead and TimelineTail are the segments of a long connection's
	// timeline shown: the first and the last; 0 shows all.
	TimelineHead, TimelineTail int
	// MaxExplain is the most segments a connection may have to be
	// explained in words (the explanation holds its records in memory).
	MaxExplain int
}

// HTMLConn writes connection c's section: its verdict, facts, pictures,
// timeline and explanation; times count from base (ns).
func HTMLConn(w *bufio.Writer, base int64, c *state.Connection, pics []Picture, opts HTMLConnOptions) {
	id := connID(c)
	w.WriteString("<section class=\"conn\" id=\"" + htmlAnchor(id) + "\"><h3>Connection " + id + ": client " +
		html.EscapeString(c.Client.String()) + " → server " + html.EscapeString(c.Server.String()) + "</h3>\n")
	v := verdict(c)
	cls := "ok"
	if Problem(c) {
		cls = "bad"
	}
	w.WriteString("<p class=\"verdict " + cls + "\">" + html.EscapeString(v) + "</p>\n")
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	ConnFacts(bw, base, c, opts.Options)
	bw.Flush()
	w.WriteString("<pre class=\"facts\">")
	w.WriteString(html.EscapeString(buf.String()))
	w.WriteString("</pre>\n")
	if len(pics) > 1 {
		w.WriteString("<p class=\"hint\">Hover a mark for its frame and what happened; drag across a graph to zoom into a stretch of time (the graphs of the connection follow), double-click to zoom out.</p>\n")
	}
	w.WriteString("<div class=\"pics\">\n")
	for _, p := range pics {
		w.Write(p.SVG)
		w.WriteByte('\n')
	}
	w.WriteString("</div>\n")

	n := c.Data.Records.Len()
	buf.Reset()
	head, tail := 0, 0
	if opts.TimelineHead > 0 && n > opts.TimelineHead+opts.TimelineTail {
		head, tail = opts.TimelineHead, opts.TimelineTail
	}
	timeline(bw, base, c, opts.Options, head, tail)
	bw.Flush()
	w.WriteString("<details><summary>Timeline (" + plural(int64(n), "segment", "segments"))
	if head > 0 {
		w.WriteString(": the first " + strconv.Itoa(head) + " and the last " + strconv.Itoa(tail) +
			"; <code>tcpflow --conn " + strconv.Itoa(c.ID) + "</code> lists them all")
	}
	w.WriteString(")</summary>\n<pre class=\"tl\">")
	writeTimelineHTML(w, buf.Bytes())
	w.WriteString("</pre></details>\n")

	w.WriteString("<details><summary>Explanation: how the connection opened and closed, in words</summary>\n")
	if opts.MaxExplain > 0 && n > opts.MaxExplain {
		w.WriteString("<p>Not explained here: it has " + plural(int64(n), "segment", "segments") +
			" (<code>tcpflow --explain --conn " + strconv.Itoa(c.ID) + "</code> explains it).</p>")
	} else {
		buf.Reset()
		// The terms it uses are explained after it (a text report
		// explains them once, at the top).
		var g Glossary
		Explain(bw, base, c, opts.Options, &g)
		WriteGlossary(bw, &g)
		bw.Flush()
		w.WriteString("<pre class=\"ex\">")
		w.WriteString(html.EscapeString(buf.String()))
		w.WriteString("</pre>")
	}
	w.WriteString("</details>\n</section>\n")
}

// writeTimelineHTML writes a text timeline escaped, its segments with
// findings and its state transitions set off.
func writeTimelineHTML(w *bufio.Writer, text []byte) {
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i+1], text[i+1:]
		} else {
			text = nil
		}
		trimmed := bytes.TrimLeft(line, " ")
		cls := ""
		switch {
		case bytes.HasPrefix(trimmed, []byte("client ")) || bytes.HasPrefix(trimmed, []byte("server ")):
			cls = "t"
		case bytes.Contains(line, []byte(" [")):
			cls = "f"
		}
		if cls != "" {
			w.WriteString("<span class=\"" + cls + "\">")
		}
		w.WriteString(html.EscapeString(string(bytes.TrimRight(line, "\n"))))
		if cls != "" {
			w.WriteString("</span>")
		}
		w.WriteByte('\n')
	}
}

const pageStyle = `:root{--bad:#c62828;--ok:#2e7d32}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#f6f7f9}
header.top{background:#1f3a5f;color:#fff;padding:10px 24px}
header.top h1{font-size:19px;margin:0 0 4px;word-break:break-all}
header.top nav a{color:#cfe3ff;margin-right:16px;text-decoration:none}
main{max-width:1200px;margin:0 auto;padding:4px 24px 60px}
h2{font-size:18px;border-bottom:2px solid #dde2ea;padding-bottom:3px;margin-top:26px}
h3{font-size:15px;margin:10px 0 4px}
pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fff;border:1px solid #e3e6ea;padding:8px;overflow-x:auto;margin:6px 0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin:8px 0}
.card{background:#fff;border:1px solid #e3e6ea;padding:6px 14px;border-radius:4px;color:#555}
.card b{display:block;font-size:20px;color:#222}
.ctl{margin:6px 0}
.ctl button{margin-right:6px}
#info{color:#555;margin-left:8px}
.tablewrap{overflow:auto;max-height:75vh;border:1px solid #e3e6ea;background:#fff}
table{border-collapse:collapse;background:#fff;font-size:12.5px}
th,td{border:1px solid #e6e8eb;padding:2px 6px;text-align:left;white-space:nowrap;vertical-align:top}
#conns th{background:#eef2f7;cursor:pointer;user-select:none;position:sticky;top:0}
#conns th.asc::after{content:" \25B2"} #conns th.desc::after{content:" \25BC"}
td.n{text-align:right}
td.v{white-space:normal;min-width:280px}
tr.bad td.v{color:var(--bad)}
section.conn{background:#fff;border:1px solid #dde2ea;border-radius:4px;padding:2px 16px 10px;margin:18px 0;content-visibility:auto;contain-intrinsic-size:auto 2200px}
.verdict{font-weight:bold;margin:2px 0 6px}
.verdict.bad{color:var(--bad)}
.verdict.ok{color:var(--ok)}
.pics svg{width:100%;max-width:1100px;height:auto;display:block;margin:12px 0;border:1px solid #eceef1}
pre .f{color:var(--bad)}
pre .t{color:#1f4e9c}
details>summary{cursor:pointer;font-weight:bold;margin:8px 0 2px}
svg[data-ax]{cursor:crosshair}
svg .sel{fill:#1f77b4;fill-opacity:.12;stroke:#1f77b4;stroke-width:1}
.hint{color:#666;font-size:12.5px;margin:4px 0}
`
