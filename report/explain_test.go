package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// jsonSegment is what TestExplainNumbers reads of the JSON report's segments.
type jsonSegment struct {
	Frame   uint64  `json:"frame"`
	Time    float64 `json:"time"`
	Dir     string  `json:"dir"`
	Flags   string  `json:"flags"`
	Seq     uint32  `json:"seq"`
	Ack     uint32  `json:"ack"`
	SeqAbs  uint32  `json:"seq_abs"`
	AckAbs  uint32  `json:"ack_abs"`
	Len     int     `json:"len"`
	WinRaw  uint16  `json:"win_raw"`
	Win     *int64  `json:"win"`
	Options *struct {
		MSS    *int32  `json:"mss"`
		WScale *int8   `json:"wscale"`
		TSVal  *uint32 `json:"ts_val"`
		TSEcr  *uint32 `json:"ts_ecr"`
	} `json:"options"`
}

// explainAndJSON runs the pipeline on one capture with the explanation and
// the JSON report, both with opts.
func explainAndJSON(t *testing.T, path string, opts report.Options) (string, map[uint64]jsonSegment) {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	var text, js bytes.Buffer
	sinks := baseNames{[]pipeline.Sink{
		sink.NewText(&text, &r.Stats, opts, sink.Explained, ""),
		sink.NewJSON(&js, &r.Stats, opts, ""),
	}}
	if _, err := pipeline.Run(r, pipeline.Options{Reassemble: true}, sinks); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Connections []struct {
			Segments []jsonSegment `json:"segments"`
		} `json:"connections"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	segs := map[uint64]jsonSegment{}
	for _, c := range doc.Connections {
		for _, s := range c.Segments {
			segs[s.Frame] = s
		}
	}
	return text.String(), segs
}

var (
	frameHead  = regexp.MustCompile(`^Frame (\d+), (-?[0-9.]+) s, (client|server) > (client|server): (.*)$`)
	tdFlags    = regexp.MustCompile(`^Flags \[([^\]]*)\]`)
	tdSeq      = regexp.MustCompile(`, seq (\d+)(?::(\d+))?`)
	tdAck      = regexp.MustCompile(`, ack (\d+)`)
	tdWin      = regexp.MustCompile(`, win (\d+)`)
	tdLength   = regexp.MustCompile(`, length (\d+)$`)
	tdTS       = regexp.MustCompile(`TS val (\d+) ecr (\d+)`)
	tdMSS      = regexp.MustCompile(`mss (\d+)`)
	tdWScale   = regexp.MustCompile(`wscale (\d+)`)
	proseNum   = regexp.MustCompile(`\b(seq|ack|win|len) (\d+)\b`)
	frameRef   = regexp.MustCompile(`\b[Ff]rames? (\d+)( to \d+)?`)
	sumEq      = regexp.MustCompile(`\b(\d+) = [A-Za-z' ]*?(\d+) ([+-]) (\d+)\b`)
	prodEq     = regexp.MustCompile(`\b(\d+) x (\d+) = (\d+)\b`)
	onTheWire  = regexp.MustCompile(`\b(\d+) on the wire\b`)
	byteRange  = regexp.MustCompile(`sends (?:again )?(\d+) bytes.*? so they are bytes (\d+) to (\d+)`)
	ladderRow  = regexp.MustCompile(`^\s*(-?[0-9.]+)\s.*?\|(--|<-)(\d+) ([A-Z,]+|none) seq (\d+)(?: ack (\d+))?(?: len (\d+))?(?: win (\d+)(\?)?)?`)
	tdLetters  = map[rune]rune{'F': 'F', 'S': 'S', 'R': 'R', 'P': 'P', '.': 'A', 'U': 'U', 'E': 'E', 'W': 'C', 'e': 'N'}
	sentenceRe = regexp.MustCompile(`[^.]+(\.[0-9][^.]*)*\.?`)
)

// reporter is where a checker reports: a *testing.T, or a fake that
// collects, to check that the checker catches a wrong number.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// collect is a reporter that counts errors.
type collect struct{ errors int }

func (c *collect) Helper()               {}
func (c *collect) Errorf(string, ...any) { c.errors++ }

// checker checks an explanation's numbers against the JSON report.
type checker struct {
	t    reporter
	name string
	abs  bool
	segs map[uint64]jsonSegment
	n    int // numbers checked
}

func (c *checker) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf(c.name+": "+format, args...)
}

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// seg returns the JSON segment of frame n.
func (c *checker) seg(n string, where string) (jsonSegment, bool) {
	s, ok := c.segs[uint64(atoi(n))]
	if !ok {
		c.errorf("%s: frame %s is no segment of the JSON report", where, n)
	}
	return s, ok
}

func (c *checker) eq(where, what string, got int64, want ...int64) {
	c.t.Helper()
	c.n++
	for _, w := range want {
		if got == w {
			return
		}
	}
	c.errorf("%s: %s %d, JSON says %v", where, what, got, want)
}

// tcpdump checks the tcpdump line of a frame.
func (c *checker) tcpdump(s jsonSegment, line, where string) {
	m := tdFlags.FindStringSubmatch(line)
	if m == nil {
		c.errorf("%s: no flags in %q", where, line)
		return
	}
	var flags []rune
	for _, l := range m[1] {
		flags = append(flags, tdLetters[l])
	}
	if m[1] == "none" {
		flags = nil
	}
	if got, want := sortRunes(string(flags)), sortRunes(s.Flags); got != want {
		c.errorf("%s: flags [%s], JSON says %s", where, m[1], s.Flags)
	}
	if m := tdSeq.FindStringSubmatch(line); m != nil {
		c.eq(where, "tcpdump seq", atoi(m[1]), int64(s.SeqAbs))
		if m[2] != "" {
			c.eq(where, "tcpdump seq end", atoi(m[2]), int64(s.SeqAbs)+int64(s.Len), int64(s.SeqAbs)+int64(s.Len)-1<<32)
		}
	}
	if m := tdAck.FindStringSubmatch(line); m != nil {
		c.eq(where, "tcpdump ack", atoi(m[1]), int64(s.AckAbs))
	}
	if m := tdWin.FindStringSubmatch(line); m != nil {
		c.eq(where, "tcpdump win", atoi(m[1]), int64(s.WinRaw))
	} else {
		c.errorf("%s: no win in %q", where, line)
	}
	if m := tdLength.FindStringSubmatch(line); m != nil {
		c.eq(where, "tcpdump length", atoi(m[1]), int64(s.Len))
	} else {
		c.errorf("%s: no length in %q", where, line)
	}
	if m := tdTS.FindStringSubmatch(line); m != nil {
		if s.Options == nil || s.Options.TSVal == nil {
			c.errorf("%s: TS in tcpdump line, none in JSON", where)
		} else {
			c.eq(where, "TS val", atoi(m[1]), int64(*s.Options.TSVal))
			c.eq(where, "TS ecr", atoi(m[2]), int64(*s.Options.TSEcr))
		}
	}
	if m := tdMSS.FindStringSubmatch(line); m != nil && s.Options != nil && s.Options.MSS != nil {
		c.eq(where, "mss", atoi(m[1]), int64(*s.Options.MSS))
	}
	if m := tdWScale.FindStringSubmatch(line); m != nil && s.Options != nil && s.Options.WScale != nil {
		c.eq(where, "wscale", atoi(m[1]), int64(*s.Options.WScale))
	}
}

func sortRunes(s string) string {
	r := []rune(s)
	for i := range r {
		for j := i + 1; j < len(r); j++ {
			if r[j] < r[i] {
				r[i], r[j] = r[j], r[i]
			}
		}
	}
	return string(r)
}

// numbers checks "seq N", "ack N", "win N" and "len N" in text about frame s.
func (c *checker) numbers(s jsonSegment, text, where string) {
	seq, ack := int64(s.Seq), int64(s.Ack)
	if c.abs {
		seq, ack = int64(s.SeqAbs), int64(s.AckAbs)
	}
	win := []int64{int64(s.WinRaw)}
	if s.Win != nil {
		win = append(win, *s.Win)
	}
	for _, m := range proseNum.FindAllStringSubmatch(text, -1) {
		n := atoi(m[2])
		switch m[1] {
		case "seq":
			c.eq(where, "seq", n, seq)
		case "ack":
			c.eq(where, "ack", n, ack)
		case "win":
			c.eq(where, "win", n, win...)
		case "len":
			c.eq(where, "len", n, int64(s.Len))
		}
	}
	for _, m := range onTheWire.FindAllStringSubmatch(text, -1) {
		c.eq(where, "on the wire", atoi(m[1]), int64(s.SeqAbs), int64(s.AckAbs))
	}
	for _, m := range byteRange.FindAllStringSubmatch(text, -1) {
		c.eq(where, "bytes told", atoi(m[3])-atoi(m[2])+1, atoi(m[1]), atoi(m[1])-1<<32)
		c.eq(where, "first byte", atoi(m[2]), seq)
	}
}

// arithmetic checks every "a = b + c", "a = b - c" and "a x b = c".
func (c *checker) arithmetic(text, where string) {
	for _, m := range sumEq.FindAllStringSubmatch(text, -1) {
		a, b, d := atoi(m[1]), atoi(m[2]), atoi(m[4])
		want := b + d
		if m[3] == "-" {
			want = b - d
		}
		c.eq(where, m[0], a, want, want-1<<32, want+1<<32)
	}
	for _, m := range prodEq.FindAllStringSubmatch(text, -1) {
		c.eq(where, m[0], atoi(m[3]), atoi(m[1])*atoi(m[2]))
	}
}

// check walks an explanation: frame paragraphs (the tcpdump line, then
// the words, whose seq, ack, win and len are that frame's), other
// paragraphs (a sentence naming one frame speaks of that frame), and the
// ladder's rows.
func (c *checker) check(text string, first float64) {
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		defer func() { para = nil }()
		if m := frameHead.FindStringSubmatch(para[0]); m != nil {
			s, ok := c.seg(m[1], "frame "+m[1])
			if !ok {
				return
			}
			where := "frame " + m[1]
			if t, _ := strconv.ParseFloat(m[2], 64); math.Abs(t-s.Time) > 1e-6 {
				c.errorf("%s: time %s s, JSON says %f", where, m[2], s.Time)
			}
			if dir := map[string]string{"client": "c2s", "server": "s2c"}[m[3]]; dir != s.Dir {
				c.errorf("%s: %s > %s, JSON says %s", where, m[3], m[4], s.Dir)
			}
			line, i := m[5], 1
			for ; i < len(para) && strings.HasPrefix(para[i], "      "); i++ {
				line += " " + strings.TrimSpace(para[i])
			}
			c.tcpdump(s, line, where)
			prose := strings.Join(para[i:], " ")
			c.numbers(s, prose, where)
			c.arithmetic(prose, where)
			for _, r := range frameRef.FindAllStringSubmatch(prose, -1) {
				c.seg(r[1], where)
			}
			return
		}
		text := strings.Join(para, " ")
		c.arithmetic(text, "paragraph "+para[0])
		for _, sentence := range sentenceRe.FindAllString(text, -1) {
			refs := frameRef.FindAllStringSubmatch(sentence, -1)
			for _, r := range refs {
				c.seg(r[1], sentence)
			}
			if len(refs) == 1 && refs[0][2] == "" {
				if s, ok := c.segs[uint64(atoi(refs[0][1]))]; ok {
					c.numbers(s, sentence, sentence)
				}
			}
		}
	}
	// The header and the glossary before the first connection quote no
	// segment.
	if i := strings.Index(text, "\n== connection "); i >= 0 {
		text = text[i+1:]
	}
	for _, line := range strings.Split(text, "\n") {
		if m := ladderRow.FindStringSubmatch(line); m != nil {
			flush()
			c.ladder(m, line)
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if frameHead.MatchString(line) {
			flush()
		}
		para = append(para, line)
	}
	flush()
}

func (c *checker) ladder(m []string, line string) {
	s, ok := c.seg(m[3], "ladder "+line)
	if !ok {
		return
	}
	where := "ladder row of frame " + m[3]
	if t, _ := strconv.ParseFloat(m[1], 64); math.Abs(t-s.Time) > 1e-6 {
		c.errorf("%s: time %s, JSON says %f", where, m[1], s.Time)
	}
	if dir := map[string]string{"--": "c2s", "<-": "s2c"}[m[2]]; dir != s.Dir {
		c.errorf("%s: arrow %s, JSON says %s", where, m[2], s.Dir)
	}
	seq, ack := int64(s.Seq), int64(s.Ack)
	if c.abs {
		seq, ack = int64(s.SeqAbs), int64(s.AckAbs)
	}
	c.eq(where, "seq", atoi(m[5]), seq)
	if m[6] != "" {
		c.eq(where, "ack", atoi(m[6]), ack)
	}
	if m[7] != "" {
		c.eq(where, "len", atoi(m[7]), int64(s.Len))
	}
	if m[8] != "" {
		if s.Win != nil && m[9] == "" && !strings.Contains(m[4], "SYN") {
			c.eq(where, "win", atoi(m[8]), *s.Win)
		} else {
			c.eq(where, "win", atoi(m[8]), int64(s.WinRaw))
		}
	}
}

// TestExplainNumbers checks that every number an explanation quotes about a
// segment (its tcpdump line, the seq, ack, win and len its words name, the
// ladder's rows) equals the field of the JSON report it comes from, and that
// its arithmetic is right, on every testdata capture and the golden corpus
// captures, with relative and with absolute numbers.
func TestExplainNumbers(t *testing.T) {
	for _, gc := range report.GoldenCases(t) {
		for _, abs := range []bool{false, true} {
			name := gc.Name
			if abs {
				name += " --abs"
			}
			t.Run(name, func(t *testing.T) {
				text, segs := explainAndJSON(t, gc.Path, report.Options{Absolute: abs})
				c := &checker{t: t, name: gc.Name, abs: abs, segs: segs}
				c.check(text, 0)
				if len(segs) > 0 && c.n == 0 {
					t.Error("no number checked")
				}
			})
		}
	}
}

// TestExplainNumbersEcho pins the checker to the echo session: it must find
// the numbers the walkthrough is about.
func TestExplainNumbersEcho(t *testing.T) {
	text, segs := explainAndJSON(t, "../testdata/pcaps/echo.pcap", report.Options{})
	c := &checker{t: t, name: "echo.pcap", segs: segs}
	c.check(text, 0)
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"ack 3 = 1 + 2: it has received both bytes of frame 4",
		"ack 7 = 3 + 4: it has received all 4 bytes of frame 8",
		`The client sends 2 bytes, "a\n"`,
		"the close took three segments instead of the textbook's four",
		"the reset takes sequence number 0",
		"ECONNREFUSED",
		"65495 + 40 = 65535, the largest packet IPv4 can carry",
		"RFC 9293 (section 3.4.2) takes the MSL to be 2 minutes",
		"A delayed ACK",
		"CLOSE_WAIT for 2.000 s",
		"Flags [R.], seq 0, ack 1859642602, win 0, length 0",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the explanation lacks %q", want)
		}
	}
	if c.n < 200 {
		t.Errorf("only %d numbers checked", c.n)
	}
	// A wrong number must be caught.
	for _, bad := range []struct{ from, to string }{
		{"ack 3 = 1 + 2", "ack 3 = 1 + 3"},                                                 // arithmetic
		{"Flags [P.], seq 3586762834:3586762836", "Flags [P.], seq 3586762834:3586762837"}, // tcpdump line
		{"ack 7 = 3 + 4", "ack 8 = 4 + 4"},                                                 // a frame's own ack
		{"|--4 PSH,ACK seq 1 ack 1 len 2", "|--4 PSH,ACK seq 1 ack 2 len 2"},               // ladder
	} {
		if !strings.Contains(text, bad.from) {
			t.Errorf("the explanation lacks %q", bad.from)
			continue
		}
		var sub collect
		c2 := &checker{t: &sub, name: "echo.pcap", segs: segs}
		c2.check(strings.Replace(text, bad.from, bad.to, 1), 0)
		if sub.errors == 0 {
			t.Errorf("%q changed to %q went unnoticed", bad.from, bad.to)
		}
	}
}

// widthWriter counts the lines longer than 100 columns written through it.
type widthWriter struct {
	col, line int
	long      []int // line numbers
}

func (w *widthWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			w.line++
			if w.col > 100 {
				w.long = append(w.long, w.line)
			}
			w.col = 0
			continue
		}
		if b&0xc0 != 0x80 { // count runes, not bytes
			w.col++
		}
	}
	return len(p), nil
}

// TestExplainWidth checks that explanations fit a 100-column terminal, with
// absolute numbers (the longest), on every testdata capture and on every
// capture of the corpus.
func TestExplainWidth(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		corpus, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		paths = append(paths, corpus...)
	} else {
		t.Log("TCPFLOW_CORPUS not set: corpus captures not checked")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			r := capture.NewReader(p)
			defer r.Close()
			var w widthWriter
			bw := bufio.NewWriter(&w)
			s := sink.NewText(bw, &r.Stats, report.Options{Absolute: true}, sink.Explained, "")
			if _, err := pipeline.Run(r, pipeline.Options{Reassemble: true}, s); err != nil {
				t.Fatal(err)
			}
			bw.Flush()
			if len(w.long) > 0 {
				t.Errorf("%d lines longer than 100 columns, the first line %d", len(w.long), w.long[0])
			}
		})
	}
}
