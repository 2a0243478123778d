package report

import (
	"encoding/json"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// The JSON document is written in pieces, so that a run streams it:
// JSONStart (the capture and the expert summary, known at the end of the
// run), then each connection (AppendConnJSON, rendered when it finished and
// kept in a spool meanwhile) behind JSONConnSep, then JSONEnd. The bytes are
// those json.Encoder with SetIndent("", " ") writes for the whole document.

// jsonHead is the part of the document before the connections.
type jsonHead struct {
	Capture jsonCapture  `json:"capture"`
	Expert  []jsonExpert `json:"expert"`
}

// JSONStart writes the document up to the opening of the connections array.
func JSONStart(w io.Writer, sum *pipeline.Summary, e *Expert) error {
	head := jsonHead{Capture: captureJSON(sum), Expert: []jsonExpert{}}
	for _, r := range e.list() {
		head.Expert = append(head.Expert, expertJSON(r))
	}
	b, err := json.MarshalIndent(head, "", " ")
	if err != nil {
		return err
	}
	b = append(b[:len(b)-len("\n}")], ",\n \"connections\": ["...)
	_, err = w.Write(b)
	return err
}

// JSONConnSep is what goes before the i-th connection (from 0).
func JSONConnSep(i int) string {
	if i == 0 {
		return "\n  "
	}
	return ",\n  "
}

// JSONEnd closes the document after n connections.
func JSONEnd(w io.Writer, n int) error {
	end := "\n ]\n}\n"
	if n == 0 {
		end = "]\n}\n"
	}
	_, err := io.WriteString(w, end)
	return err
}

// AppendConnJSON appends one connection of the document's connections array,
// indented at its depth, with its segments unless opts.Summary. Segments are
// encoded one at a time, so a connection of millions of segments needs no
// more memory than its encoded text.
func AppendConnJSON(b []byte, base int64, c *state.Connection, opts Options) ([]byte, error) {
	// The object is written by hand (jsonconn.go), indented as
	// json.MarshalIndent(connJSONAt(...), connIndent, " ") would.
	w := jsonWriter{b: b, indent: true}
	w.open('{')
	appendConnFields(&w, base, c)
	if w.err != nil {
		return b, w.err
	}
	if opts.Summary {
		w.close('}')
		return w.b, nil
	}
	// The segments, one at a time, so a connection of millions of segments
	// needs no more memory than its encoded text.
	w.key("segments")
	b = append(w.b, '[')
	a := c.Data
	var seg []byte
	ti, n := 0, 0
	for _, r := range a.Records.All() {
		t0 := ti
		for ti < len(a.Transitions) && a.Transitions[ti].Frame <= r.Frame {
			ti++
		}
		seg = appendSegment(append(seg[:0], '{'), base, r, a.Transitions[t0:ti])
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n"+segIndent...)
		b = appendIndented(b, seg, segIndent)
		n++
	}
	if n > 0 {
		b = append(b, "\n"+connIndent+" "...)
	}
	return append(b, "]\n"+connIndent+"}"...), c.Data.Records.Err()
}

// The indentation of a connection object and of a segment object in the
// document.
const (
	connIndent = "  "
	segIndent  = "    "
)

func expertJSON(r expertRow) jsonExpert {
	je := jsonExpert{Name: r.Kind.Name(), Total: r.Total, Connections: r.Conns}
	for _, cc := range r.Worst {
		je.Worst = append(je.Worst, jsonWorst{cc.ID, cc.N})
	}
	return je
}

func captureJSON(sum *pipeline.Summary) jsonCapture {
	jc := jsonCapture{Files: []jsonInput{}, LinkTypes: []jsonLink{}, Errors: []string{}, Frames: map[string]uint64{},
		Interrupted: sum.Interrupted, Evicted: sum.Evicted, EvictedOpen: sum.EvictedOpen, MaxOpen: sum.MaxOpen,
		Continued: sum.Parts, ForgottenDropped: sum.ForgottenDropped}
	for i, in := range sum.Inputs {
		ji := jsonInput{File: in.Name, Format: string(in.Format), Gzip: in.Gzip, Frames: in.Frames}
		if in.Err != nil {
			ji.Error = in.Err.Error()
		}
		jc.Files = append(jc.Files, ji)
		if i == 0 {
			jc.File, jc.Format = in.Name, string(in.Format)
		} else if jc.Format != string(in.Format) {
			jc.Format = "mixed"
		}
	}
	st := &sum.Stats
	for _, l := range st.Links {
		jc.LinkTypes = append(jc.LinkTypes, jsonLink{capture.LinkName(l.Type), l.Frames})
	}
	jc.Frames["total"], jc.Frames["tcp"] = st.Frames, st.TCP
	for _, r := range capture.Reasons() {
		jc.Frames[r.String()] = st.Count[r]
	}
	if st.Frames > 0 {
		jc.FirstTime = utc(st.FirstTime)
		jc.FirstTimeRFC, jc.LastTimeRFC = rfc3339(st.FirstTime), rfc3339(st.LastTime)
	}
	if isLive(sum) {
		d := st.KernelDrops
		jc.DroppedByKernel = &d
	}
	for _, err := range sum.Errors {
		jc.Errors = append(jc.Errors, err.Error())
	}
	jc.MalformedOptions = map[string]uint64{}
	for _, p := range capture.OptionProblems() {
		jc.MalformedOptions[p.String()] = st.Options[p]
	}
	jc.Checksums = jsonChecksums{checksumCounts(st.IPChecksums[:], true), checksumCounts(st.TCPChecksums[:], true)}
	jc.ImpossibleJumps = jsonJumps{sum.SeqJumps, sum.AckJumps}
	jc.Quality = qualityJSON(sum) // quality.go
	return jc
}

func secs(ns int64) float64 { return float64(ns) / 1e9 }

// checksumCounts maps status names to counts: every status with all, else
// only those counted.
func checksumCounts[N uint32 | uint64](counts []N, all bool) map[string]uint64 {
	m := map[string]uint64{}
	for _, s := range capture.ChecksumStatuses() {
		if counts[s] > 0 || all {
			m[s.String()] = uint64(counts[s])
		}
	}
	return m
}
