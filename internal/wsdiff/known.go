package wsdiff

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// KnownEntry is one documented difference: on frame Frame of capture File,
// tcpflow says Ours and tshark says Theirs about Field, for Reason. Values are
// written as in Diff.
type KnownEntry struct {
	File         string
	Frame        uint64
	Field        Field
	Ours, Theirs string
	Reason       string
	Line         int // in the file it was read from
}

type knownKey struct {
	file         string
	frame        uint64
	field        Field
	ours, theirs string
}

// Known is the allowlist of documented differences. A Diff is explained only
// when file, frame, field and both values match an entry exactly, so a
// difference that changes is new again.
type Known struct {
	entries []KnownEntry
	index   map[knownKey]int // into entries
	used    []bool
}

// knownColumns is the header line of the allowlist file.
const knownColumns = "file\tframe\tfield\tours\ttheirs\treason"

// LoadKnown reads an allowlist file (see ParseKnown).
func LoadKnown(path string) (*Known, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	k, err := ParseKnown(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKnown reads an allowlist: tab-separated lines with the columns file
// (base name), frame, field, ours, theirs, reason; a header line naming those
// columns, blank lines and lines starting with # are skipped.
func ParseKnown(r io.Reader) (*Known, error) {
	k := &Known{index: map[knownKey]int{}}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") || text == knownColumns {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 6 {
			return nil, fmt.Errorf("line %d: %d columns, want 6 (%s)", line, len(cols), strings.ReplaceAll(knownColumns, "\t", ", "))
		}
		frame, err := strconv.ParseUint(cols[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: frame %q: %w", line, cols[1], err)
		}
		field, ok := ParseField(cols[2])
		if !ok {
			return nil, fmt.Errorf("line %d: unknown field %q", line, cols[2])
		}
		if strings.TrimSpace(cols[5]) == "" {
			return nil, fmt.Errorf("line %d: empty reason", line)
		}
		e := KnownEntry{File: cols[0], Frame: frame, Field: field, Ours: cols[3], Theirs: cols[4], Reason: cols[5], Line: line}
		key := knownKey{e.File, e.Frame, e.Field, e.Ours, e.Theirs}
		if prev, dup := k.index[key]; dup {
			return nil, fmt.Errorf("line %d: same difference as line %d", line, k.entries[prev].Line)
		}
		k.index[key] = len(k.entries)
		k.entries = append(k.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	k.used = make([]bool, len(k.entries))
	return k, nil
}

// Explain sets Reason on every Diff of r that an entry matches and counts it
// as explained. A nil Known explains nothing.
func (k *Known) Explain(r *Report) {
	if k == nil {
		return
	}
	for i := range r.Diffs {
		d := &r.Diffs[i]
		if d.Reason != "" {
			continue
		}
		n, ok := k.index[knownKey{d.File, d.Frame, d.Field, d.Ours, d.Theirs}]
		if !ok {
			continue
		}
		d.Reason = k.entries[n].Reason
		k.used[n] = true
		r.Fields[d.Field].Explained++
	}
}

// Unused returns the entries for the given captures (base names; all entries
// when none are given) that explained no Diff so far: fixed or changed
// differences whose entry should be removed or updated.
func (k *Known) Unused(files ...string) []KnownEntry {
	if k == nil {
		return nil
	}
	var es []KnownEntry
	for i, e := range k.entries {
		if !k.used[i] && (len(files) == 0 || slices.Contains(files, e.File)) {
			es = append(es, e)
		}
	}
	return es
}

// Len is the number of entries.
func (k *Known) Len() int {
	if k == nil {
		return 0
	}
	return len(k.entries)
}
