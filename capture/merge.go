package capture

import (
	"cmp"
	"container/heap"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Merging several inputs by timestamp, as mergecap does by default: a
// streaming k-way merge. Every input is open at once, each holding the one
// record it read last; the earliest of those is the next frame of the
// capture. Frames of one input keep their order even when their timestamps
// go backwards (as mergecap keeps them), and frames with the same timestamp
// come in the order the inputs were given. Memory is one buffered reader per
// input (the 1 MiB buffer of a single input shared out, at least 64 KiB
// each), whatever the size of the inputs.
//
// Frame numbers count the frames of the merged capture (those of the file
// `mergecap -w` writes), so in general they are not the numbers a frame
// has in its own file; Segment.File and Segment.FileFrame say which file
// and which frame of it, and so does every ReadError.

// minMergeBuf is the smallest read buffer of an input being merged.
const minMergeBuf = 64 << 10

// merger is the state of a merge: the inputs with a record waiting, in a
// heap ordered by time then input.
type merger struct {
	heads   heads
	started bool
	taken   bool    // heads[0]'s record was returned: read its file's next one first
	errs    []error // faults met while opening, to return before any frame
}

type heads []record

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	if c := h[i].ci.Timestamp.Compare(h[j].ci.Timestamp); c != 0 {
		return c < 0
	}
	return h[i].f.in < h[j].f.in
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(record)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = record{}
	*h = old[:len(old)-1]
	return x
}

// nextMerged returns the earliest record of all inputs. A fault in an input
// is returned when that input is read next, that is right after its last good
// frame in the merged order; the other inputs go on.
func (r *Reader) nextMerged() (record, error) {
	m := r.merge
	if m == nil {
		m = &merger{}
		r.merge = m
	}
	if !m.started {
		m.started = true
		size := max(bufSize/len(r.names), minMergeBuf)
		for i := range r.names {
			f, err := r.openInput(i, size)
			if err != nil {
				m.errs = append(m.errs, err)
				continue
			}
			rec, err := r.readRecord(f)
			if err != nil {
				f.close()
				if err != io.EOF {
					m.errs = append(m.errs, err)
				}
				continue
			}
			m.heads = append(m.heads, rec)
		}
		heap.Init(&m.heads)
	}
	if len(m.errs) > 0 {
		err := m.errs[0]
		m.errs = m.errs[1:]
		return record{}, err
	}
	if m.taken {
		m.taken = false
		f := m.heads[0].f
		rec, err := r.readRecord(f)
		if err != nil {
			f.close()
			heap.Pop(&m.heads)
			if err != io.EOF {
				return record{}, err
			}
		} else {
			m.heads[0] = rec
			heap.Fix(&m.heads, 0)
		}
	}
	if len(m.heads) == 0 {
		return record{}, io.EOF
	}
	m.taken = true
	return m.heads[0], nil
}

// close closes every input still open.
func (m *merger) close() {
	if m == nil {
		return
	}
	for i := range m.heads {
		m.heads[i].f.close()
	}
	m.heads = nil
}

// ExpandDirs replaces each directory among names by the files in it: every
// regular file whose name does not start with a dot, not descending into
// subdirectories, in natural order (capture.pcap2 before capture.pcap10, as
// tcpdump -C numbers them), so that reading them in order also works. Other
// names are kept as they are ("-" too). A directory with no file is an
// error, as is one that cannot be read.
func ExpandDirs(names []string) ([]string, error) {
	var out []string
	for _, name := range names {
		st, err := os.Stat(name)
		if name == "-" || err != nil || !st.IsDir() {
			out = append(out, name)
			continue
		}
		ents, err := os.ReadDir(name)
		if err != nil {
			return nil, err
		}
		var files []string
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(name, e.Name())
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				files = append(files, p)
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: a directory without capture files", name)
		}
		slices.SortFunc(files, NaturalCompare)
		out = append(out, files...)
	}
	return out, nil
}

// NaturalCompare orders names with their runs of digits compared as numbers:
// "a9" < "a10", "cap.pcap2" < "cap.pcap10". Equal numbers written with
// different zeros, and otherwise equal names, fall back to byte order.
func NaturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			i0, j0 := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[i0:i], "0"), strings.TrimLeft(b[j0:j], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			return cmp.Compare(a[i], b[j])
		}
		i++
		j++
	}
	if c := cmp.Compare(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
