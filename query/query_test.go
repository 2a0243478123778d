//go:build cgo

package query

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// The JSON report, as far as the checks read it.
type doc struct {
	Capture struct {
		FirstTime string `json:"first_time"`
	} `json:"capture"`
	Connections []conn `json:"connections"`
}

type endpoint struct {
	Addr string `json:"addr"`
	Port int64  `json:"port"`
	ISN  *int64 `json:"isn"`
}

type conn struct {
	ID           int64    `json:"id"`
	Part         int64    `json:"part"`
	Key          string   `json:"key"`
	Client       endpoint `json:"client"`
	Server       endpoint `json:"server"`
	EndedBy      string   `json:"ended_by"`
	ClosedBy     *string  `json:"closed_by"`
	HandshakeRTT *float64 `json:"handshake_rtt_s"`
	Packets      struct{ C2S, S2C int64 }
	Bytes        struct{ C2S, S2C int64 }
	Segments     []struct {
		Time     float64  `json:"time"`
		Dir      string   `json:"dir"`
		Analysis []string `json:"analysis"`
		AckRTT   *float64 `json:"ack_rtt_s"`
	} `json:"segments"`
	run   string
	first time.Time
}

// analyze runs tcpflow over the inputs as one run, writing the Parquet
// tables into dir and returning the JSON report of the same run.
func analyze(t *testing.T, dir string, part sink.Partition, inputs ...string) doc {
	t.Helper()
	r := capture.NewReader(inputs...)
	defer r.Close()
	pq, err := sink.NewParquet(sink.ParquetOptions{Dir: dir, Partition: part, Run: inputs, Inputs: inputs, Stats: &r.Stats})
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if _, err := pipeline.Run(r, pipeline.Options{}, pq, sink.NewJSON(&js, &r.Stats, report.Options{}, "")); err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(js.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	first, err := time.Parse("2006-01-02 15:04:05.000000 MST", d.Capture.FirstTime)
	if err != nil {
		t.Fatal(err)
	}
	run := strings.Join(inputs, " ")
	for i := range d.Connections {
		d.Connections[i].run = run
		d.Connections[i].first = first
	}
	return d
}

// generate writes a generated capture, its times shifted by shift.
func generate(t *testing.T, path string, o gen.Options, shift time.Duration) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := gen.Write(&buf, o); err != nil {
		t.Fatal(err)
	}
	pr, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	w.WriteFileHeader(pr.Snaplen(), pr.LinkType())
	for {
		d, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		ci.Timestamp = ci.Timestamp.Add(shift)
		if err := w.WritePacket(ci, d); err != nil {
			t.Fatal(err)
		}
	}
}

// fleet is two sensors' captures, an hour apart, each analyzed by a run of
// its own into one directory partitioned by hour, and their JSON reports.
func fleet(t *testing.T) (string, []conn) {
	t.Helper()
	work := t.TempDir()
	a, b := filepath.Join(work, "sensor-a.pcap"), filepath.Join(work, "sensor-b.pcap")
	generate(t, a, gen.Options{Profile: gen.Lossy, Packets: 12000, Seed: 5}, 0)
	generate(t, b, gen.Options{Profile: gen.Lossy, Packets: 8000, Seed: 6}, time.Hour)
	out := filepath.Join(work, "out")
	var conns []conn
	for _, in := range []string{a, b} {
		conns = append(conns, analyze(t, out, sink.PartitionHour, in).Connections...)
	}
	return out, conns
}

func ask(t *testing.T, e *Engine, preset string) *Result {
	t.Helper()
	var tables []string
	for _, tb := range Tables {
		if e.Has(tb) {
			tables = append(tables, tb)
		}
	}
	q, err := PresetSQL(preset, tables)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", preset, err)
	}
	if len(res.Rows) == 0 {
		t.Fatalf("%s: no rows", preset)
	}
	return res
}

// rows renders a result's rows for comparison: numbers rounded as given.
func rows(res *Result) []string {
	var out []string
	for _, r := range res.Rows {
		var f []string
		for _, v := range r {
			switch x := v.(type) {
			case float64:
				f = append(f, fmt.Sprintf("%.3f", x))
			case time.Time:
				f = append(f, x.UTC().Format(time.RFC3339))
			default:
				f = append(f, text(v))
			}
		}
		out = append(out, strings.Join(f, " | "))
	}
	return out
}

func diffRows(t *testing.T, name string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: DuckDB's answer differs from the JSON report's\n got:\n  %s\nwant:\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// grouped is what groupByServer made of one server's connections.
type grouped[T any] struct {
	addr string
	port int64
	v    *T
}

// groupByServer adds up each server's connections into a T and returns the
// servers whose T keep accepts.
func groupByServer[T any](conns []conn, add func(*T, *conn), keep func(*T) bool) []grouped[T] {
	by := map[string]*grouped[T]{}
	var order []string
	for i := range conns {
		c := &conns[i]
		k := fmt.Sprint(c.Server.Addr, " ", c.Server.Port)
		g := by[k]
		if g == nil {
			g = &grouped[T]{c.Server.Addr, c.Server.Port, new(T)}
			by[k] = g
			order = append(order, k)
		}
		add(g.v, c)
	}
	var out []grouped[T]
	for _, k := range order {
		if keep(by[k].v) {
			out = append(out, *by[k])
		}
	}
	return out
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// quantile is DuckDB's quantile_cont: linear interpolation between the
// order statistics around q*(n-1).
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := math.Floor(pos)
	i := int(lo)
	if i+1 >= len(s) {
		return s[i]
	}
	return s[i] + (pos-lo)*(s[i+1]-s[i])
}

// TestPresetsAgainstJSON runs the presets with DuckDB over the Parquet
// tables of two runs and checks each answer against the same question
// answered in Go from the runs' JSON reports.
func TestPresetsAgainstJSON(t *testing.T) {
	out, conns := fleet(t)
	e, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, tb := range Tables {
		if !e.Has(tb) {
			t.Fatalf("no %s table", tb)
		}
	}

	t.Run("resets", func(t *testing.T) {
		type agg struct{ n, resets, refuse int64 }
		list := groupByServer(conns, func(a *agg, c *conn) {
			a.n++
			if (c.EndedBy == "rst" || c.EndedBy == "refused") && c.ClosedBy != nil && *c.ClosedBy == "server" {
				a.resets++
			}
			if c.EndedBy == "refused" {
				a.refuse++
			}
		}, func(a *agg) bool { return a.resets > 0 })
		slices.SortFunc(list, func(x, y grouped[agg]) int {
			return cmp.Or(cmp.Compare(y.v.resets, x.v.resets), cmp.Compare(y.v.n, x.v.n), strings.Compare(x.addr, y.addr), cmp.Compare(x.port, y.port))
		})
		var want []string
		for _, g := range list[:min(len(list), 20)] {
			a := g.v
			want = append(want, fmt.Sprintf("%s | %d | %d | %d | %d | %.3f", g.addr, g.port, a.n, a.resets, a.refuse, round(100*float64(a.resets)/float64(a.n), 1)))
		}
		diffRows(t, "resets", rows(ask(t, e, "resets")), want)
	})

	t.Run("retrans-per-hour", func(t *testing.T) {
		type per struct {
			hour      time.Time
			c         *conn
			segs, ret int64
		}
		var all []per
		for i := range conns {
			c := &conns[i]
			hours := map[time.Time]*per{}
			var order []time.Time
			for _, s := range c.Segments {
				ts := c.first.Add(time.Duration(math.Round(s.Time * 1e9)))
				h := ts.Truncate(time.Hour)
				p := hours[h]
				if p == nil {
					p = &per{hour: h, c: c}
					hours[h] = p
					order = append(order, h)
				}
				p.segs++
				if slices.ContainsFunc(s.Analysis, func(a string) bool {
					return a == "retransmission" || a == "fast_retransmission" || a == "spurious_retransmission"
				}) {
					p.ret++
				}
			}
			for _, h := range order {
				if p := hours[h]; p.segs >= 10 && p.ret > 0 {
					all = append(all, *p)
				}
			}
		}
		slices.SortFunc(all, func(x, y per) int {
			return cmp.Or(x.hour.Compare(y.hour), cmp.Compare(float64(y.ret)/float64(y.segs), float64(x.ret)/float64(x.segs)),
				cmp.Compare(y.ret, x.ret), strings.Compare(x.c.Key, y.c.Key))
		})
		var want []string
		n := 0
		for i, p := range all {
			if i > 0 && !p.hour.Equal(all[i-1].hour) {
				n = 0
			}
			if n++; n > 5 {
				continue
			}
			want = append(want, fmt.Sprintf("%s | %s:%d | %s:%d | %d | %d | %.3f | %s", p.hour.UTC().Format(time.RFC3339),
				p.c.Client.Addr, p.c.Client.Port, p.c.Server.Addr, p.c.Server.Port, p.segs, p.ret, round(100*float64(p.ret)/float64(p.segs), 2), p.c.Key))
		}
		if len(want) < 6 {
			t.Fatalf("the test data has retransmissions in %d rows only", len(want))
		}
		diffRows(t, "retrans-per-hour", rows(ask(t, e, "retrans-per-hour")), want)
	})

	t.Run("rtt-percentiles", func(t *testing.T) {
		type agg struct{ hs, acks []float64 }
		list := groupByServer(conns, func(a *agg, c *conn) {
			if c.HandshakeRTT != nil {
				a.hs = append(a.hs, *c.HandshakeRTT)
			}
			for _, s := range c.Segments {
				if s.Dir == "s2c" && s.AckRTT != nil {
					a.acks = append(a.acks, *s.AckRTT)
				}
			}
		}, func(a *agg) bool { return len(a.hs) > 0 })
		slices.SortFunc(list, func(x, y grouped[agg]) int {
			return cmp.Or(cmp.Compare(len(y.v.hs), len(x.v.hs)), strings.Compare(x.addr, y.addr), cmp.Compare(x.port, y.port))
		})
		ms := func(xs []float64, q float64) string { return fmt.Sprintf("%.3f", round(1000*quantile(xs, q), 3)) }
		var want []string
		for _, g := range list[:min(len(list), 50)] {
			a := g.v
			row := fmt.Sprintf("%s | %d | %d | %s | %s | %s | %.3f | %d", g.addr, g.port, len(a.hs),
				ms(a.hs, 0.5), ms(a.hs, 0.9), ms(a.hs, 0.99), round(1000*slices.Max(a.hs), 3), len(a.acks))
			if len(a.acks) > 0 {
				row += " | " + ms(a.acks, 0.5) + " | " + ms(a.acks, 0.9) + " | " + ms(a.acks, 0.99)
			} else {
				row += " |  |  | "
			}
			want = append(want, row)
		}
		diffRows(t, "rtt-percentiles", rows(ask(t, e, "rtt-percentiles")), want)
	})

	t.Run("zeek-conn", func(t *testing.T) {
		res := ask(t, e, "zeek-conn")
		if len(res.Rows) != len(conns) || res.Columns[2] != "id.orig_h" {
			t.Errorf("%d records with columns %v, want %d", len(res.Rows), res.Columns, len(conns))
		}
	})
}

// TestStitch analyzes the files of a rotated set in separate runs, stitches
// the parts with the preset, and checks the stitched connections against a
// run over the whole set: same connections, same packets and bytes.
func TestStitch(t *testing.T) {
	work := t.TempDir()
	whole := filepath.Join(work, "whole.pcap")
	generate(t, whole, gen.Options{Profile: gen.Lossy, Packets: 9000, Seed: 7}, 0)
	files, err := gen.Split(whole, filepath.Join(work, "rot.pcap"), 3000)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out")
	for _, f := range files {
		analyze(t, out, sink.PartitionFile, f)
	}
	merged := analyze(t, filepath.Join(work, "merged"), sink.PartitionFile, files...)
	// The connections of the merged run that have segments in more than one
	// file, by client, server and first time (the first part's key may lack
	// the server's ISN, when the SYN-ACK came in the next file).
	ident := func(key string) string {
		f := strings.Fields(key)
		return f[0] + " " + f[1] + " " + f[4]
	}
	want := map[string]string{}
	spans := 0
	for _, c := range merged.Connections {
		want[ident(c.Key)] = fmt.Sprint(c.Packets.C2S, c.Packets.S2C, c.Bytes.C2S, c.Bytes.S2C)
	}
	e, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res := ask(t, e, "stitch")
	for _, r := range res.Rows {
		key := r[0].(string)
		got := fmt.Sprint(r[5], r[6], r[7], r[8])
		if w, ok := want[ident(key)]; !ok || w != got {
			t.Errorf("stitched %s: packets and bytes %s, the whole run has %q", key, got, w)
		}
		spans++
	}
	// Every connection of the whole run with segments in two files is
	// stitched: count them from the segments table of the merged run.
	m, err := Open(filepath.Join(work, "merged"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n, err := m.Query(context.Background(), "SELECT count(*) FROM (SELECT conn, part FROM segments GROUP BY ALL HAVING count(DISTINCT file) > 1)")
	if err != nil {
		t.Fatal(err)
	}
	if want := n.Rows[0][0].(int64); int64(spans) != want || want < 10 {
		t.Errorf("%d connections stitched, %d span files in the whole run", spans, want)
	}
}
