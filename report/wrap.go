package report

import (
	"bufio"
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// This file keeps text reports within Options.Width columns: long lines are
// broken at spaces (or after a comma, inside the option lists of
// timelines), continuation lines indented; only a word longer than a whole
// line is cut. Widths count characters (runes), so "µs" is two columns.

// DefaultWidth is the width text reports fit in unless told otherwise
// (tcpflow --wide asks for no limit).
const DefaultWidth = 100

// width is the number of columns s takes.
func width(s string) int { return utf8.RuneCountInString(s) }

// fits reports whether s takes at most room columns, looking at no more
// than room+1 runes (breakAt runs once per line of a long text).
func fits(s string, room int) bool {
	if len(s) <= room {
		return true
	}
	n := 0
	for range s {
		if n++; n > room {
			return false
		}
	}
	return true
}

// breakAt returns where to break s so that its first part is at most room
// columns, and where the rest starts. It breaks after the last comma or
// semicolon that fits when that leaves the line at least a third full
// (lists break between their items: "..., final state" / "TIME_WAIT" reads
// worse than "...," / "final state TIME_WAIT"), else at the last space that
// fits (dropped), else after any comma; a word longer than a line is cut at
// the room's end. It returns len(s) when s fits.
func breakAt(s string, room int) (cut, next int) {
	if fits(s, room) {
		return len(s), len(s)
	}
	space, punct, comma, col := -1, -1, -1, 0
	for i, r := range s {
		if col >= room {
			if r == ' ' {
				space = i // a break exactly at the room's end
			}
			break
		}
		switch r {
		case ' ':
			space = i
			if i > 0 && (s[i-1] == ',' || s[i-1] == ';') {
				punct = i
			}
		case ',':
			comma = i + 1
		}
		col++
	}
	switch {
	case punct > 0 && punct >= room/3:
		return punct, punct + 1
	case comma > 0 && comma >= room/3 && comma > space:
		return comma, comma
	case space > 0:
		return space, space + 1
	case comma > 0:
		return comma, comma
	}
	// No break fits: cut the word at the room's end (on a rune boundary).
	col = 0
	for i := range s {
		if col == room {
			return i, i
		}
		col++
	}
	return len(s), len(s)
}

// wrapLine writes line wrapped to width: the first line as it starts, the
// others after indent (first and later lines may start at different
// columns: first is the column line starts at). width <= 0 writes it whole.
func wrapLine(w *bufio.Writer, line string, first int, indent string, width int) {
	room := width - first
	for {
		if width <= 0 || room <= 0 {
			w.WriteString(line)
			w.WriteByte('\n')
			return
		}
		cut, next := breakAt(line, room)
		w.WriteString(strings.TrimRight(line[:cut], " "))
		w.WriteByte('\n')
		line = strings.TrimLeft(line[next:], " ")
		if line == "" {
			return
		}
		w.WriteString(indent)
		room = width - len(indent)
	}
}

// wrapText writes text (lines ending in '\n') with every line longer than
// width wrapped, its continuation lines starting with indent.
func wrapText(w *bufio.Writer, text []byte, indent string, width int) {
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if width <= 0 || len(line) <= width { // bytes >= columns: it fits
			w.Write(line)
			w.WriteByte('\n')
			continue
		}
		// The line stays in text, unchanged, while it is written: a string
		// over its bytes spares a copy of every long line of every story.
		wrapLine(w, unsafe.String(unsafe.SliceData(line), len(line)), 0, indent, width)
	}
}

// scratch is where wrapped renders before wrapping; reused, since the facts
// of every connection of a big capture go through it.
type scratch struct {
	buf bytes.Buffer
	bw  *bufio.Writer
}

var scratches = sync.Pool{New: func() any {
	s := &scratch{}
	s.bw = bufio.NewWriter(&s.buf)
	return s
}}

// wrapped renders with render into a scratch buffer and writes the result
// wrapped to width (no wrapping and no copy when width is 0).
func wrapped(w *bufio.Writer, width int, indent string, render func(w *bufio.Writer)) {
	if width <= 0 {
		render(w)
		return
	}
	s := scratches.Get().(*scratch)
	s.buf.Reset()
	render(s.bw)
	s.bw.Flush()
	wrapText(w, s.buf.Bytes(), indent, width)
	scratches.Put(s)
}

// wrapWords breaks text into lines of at most room columns (see breakAt).
func wrapWords(text string, room int) []string {
	var lines []string
	for text != "" {
		cut, next := breakAt(text, room)
		lines = append(lines, strings.TrimRight(text[:cut], " "))
		text = strings.TrimLeft(text[next:], " ")
	}
	if lines == nil {
		lines = []string{""}
	}
	return lines
}
