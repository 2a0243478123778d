package pipeline

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/craft"
	"github.com/tcpflow/tcpflow/state"
)

// frameIDs is a SegmentSink that records the connection id of every
// segment, and which frames went to which part.
type frameIDs struct {
	id    map[uint64]int
	parts int
	recs  bool
}

func (f *frameIDs) NeedsRecords() bool { return f.recs }
func (f *frameIDs) Segment(c *Connection, r *state.Record, _ []state.Transition) error {
	if _, dup := f.id[r.Frame]; dup {
		return fmt.Errorf("frame %d analyzed twice", r.Frame)
	}
	f.id[r.Frame] = c.ID
	return nil
}
func (f *frameIDs) Finished(c *Connection) error {
	if c.Part > 0 {
		f.parts++
	}
	return nil
}
func (f *frameIDs) End(*Summary) error { return nil }

// identityCaptures are testdata's captures and, with TCPFLOW_CORPUS, the
// corpus's.
func identityCaptures(t *testing.T) []string {
	paths, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		paths = append(paths, more...)
	} else {
		t.Log("TCPFLOW_CORPUS not set: only testdata/pcaps checked (set it to the corpus directory, e.g. ../shared/pcaps)")
	}
	return paths
}

// TestIdentityDoesNotDependOnMode checks, on every capture, that every frame
// goes to the same connection id whatever the run keeps (records or not,
// reassembly or not) and however tight its bounds: a linger of 1 ns (each
// connection finished as soon as it closes and a second of capture time
// passes), or room for only two connections at once (evictions on every new
// connection). Late segments then open continuations, under the same id.
func TestIdentityDoesNotDependOnMode(t *testing.T) {
	variants := []struct {
		name string
		opts Options
		recs bool
	}{
		{"records+reassembly", Options{Reassemble: true}, true},
		{"linger 1ns", Options{Linger: 1}, false},
		{"max 2 connections", Options{MaxConns: 2}, false},
		{"max 2 connections, reassembling, records", Options{MaxConns: 2, Linger: 1, Reassemble: true}, true},
	}
	for _, path := range identityCaptures(t) {
		run := func(opts Options, recs bool) (*frameIDs, *Summary) {
			r := capture.NewReader(path)
			defer r.Close()
			f := &frameIDs{id: map[uint64]int{}, recs: recs}
			sum, err := Run(r, opts, f)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(path), err)
			}
			return f, sum
		}
		base, baseSum := run(Options{}, false)
		for _, v := range variants {
			got, sum := run(v.opts, v.recs)
			if sum.Conns != baseSum.Conns {
				t.Errorf("%s, %s: %d connection ids, want %d", filepath.Base(path), v.name, sum.Conns, baseSum.Conns)
			}
			n := 0
			for frame, id := range base.id {
				if got.id[frame] != id && n < 3 {
					t.Errorf("%s, %s: frame %d in connection %d, want %d", filepath.Base(path), v.name, frame, got.id[frame], id)
					n++
				}
			}
			if len(got.id) != len(base.id) {
				t.Errorf("%s, %s: %d frames analyzed, want %d", filepath.Base(path), v.name, len(got.id), len(base.id))
			}
		}
	}
}

// TestLateSegments checks testdata/pcaps/late-segments.pcap: a refused SYN
// retried after the linger time, a keep-alive after a long idle, a FIN
// repeated after the connection was finished, and a new connection on the
// same ports. Wireshark gives frames 1-16 tcp.stream 0 and 17-22 stream 1.
func TestLateSegments(t *testing.T) {
	r := capture.NewReader("../testdata/pcaps/late-segments.pcap")
	defer r.Close()
	f := &frameIDs{id: map[uint64]int{}}
	all := &Collect{Records: true}
	sum, err := Run(r, Options{}, f, all)
	if err != nil {
		t.Fatal(err)
	}
	for frame := uint64(1); frame <= 22; frame++ {
		want := 0
		if frame >= 17 {
			want = 1
		}
		if f.id[frame] != want {
			t.Errorf("frame %d in connection %d, want %d", frame, f.id[frame], want)
		}
	}
	// Parts: the refused SYN (0), the retry through the close (1, which
	// lingered only after it closed, so the keep-alive 120 s later is in
	// it), the late FIN and its ACK (2).
	wantParts := []struct{ id, part, packets int }{{0, 0, 2}, {0, 1, 12}, {0, 2, 2}, {1, 0, 6}}
	if len(all.Conns) != len(wantParts) {
		t.Fatalf("%d connections and parts, want %d", len(all.Conns), len(wantParts))
	}
	for i, w := range wantParts {
		c := all.Conns[i]
		if c.ID != w.id || c.Part != w.part || int(c.Packets[0]+c.Packets[1]) != w.packets {
			t.Errorf("#%d: connection %d part %d with %d packets, want %d part %d with %d", i, c.ID, c.Part, c.Packets[0]+c.Packets[1], w.id, w.part, w.packets)
		}
	}
	if sum.Parts != 2 || sum.Conns != 2 {
		t.Errorf("summary: %d ids, %d continuations; want 2 and 2", sum.Conns, sum.Parts)
	}
	// The continuations carry the analysis on: the late FIN is a
	// retransmission and its ACK a duplicate, as Wireshark says.
	late := all.Conns[2].Data.Records.Slice()
	if len(late) != 2 || late[0].Analysis&state.Retransmission == 0 || late[1].Analysis&state.DuplicateAck == 0 {
		t.Errorf("late FIN and ACK analyzed as %v", late)
	}
	keep := all.Conns[1].Data.Records.Slice()
	if len(keep) < 8 || keep[6].Analysis&state.KeepAlive == 0 || keep[7].Analysis&state.KeepAliveAck == 0 {
		t.Errorf("keep-alive not recognized in part 1")
	}
}

// TestEviction checks the cap on tracked connections with a SYN flood of
// 3000 half-open connections while one established connection carries on
// sending: with room for 256, the flood's connections are evicted (oldest
// first) and reported, every SYN counted, and the established connection is
// never evicted: it stays one part with all its segments.
func TestEviction(t *testing.T) {
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	w := craft.NewWire(pw, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := netip.MustParseAddrPort("10.2.0.1:80")
	c := w.Conn(netip.MustParseAddrPort("10.1.0.1:40000"), netip.MustParseAddrPort("10.2.0.2:443"), 1000, 2000)
	c.Handshake(time.Millisecond)
	const flood = 3000
	for i := 0; i < flood; i++ {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 64, byte(i >> 8), byte(i)}), uint16(1024+i))
		w.Conn(cli, srv, uint32(i)*7919, 0).Client(craft.SYN, craft.LinuxSYN(1460, 7))
		w.Advance(50 * time.Microsecond)
		if i%100 == 0 {
			c.Client(craft.PSH|craft.ACK, craft.Data(100))
			c.Server(craft.ACK)
		}
	}
	c.Client(craft.FIN | craft.ACK)
	c.Server(craft.FIN | craft.ACK)
	c.Client(craft.ACK)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	r := capture.NewReader("-")
	r.Stdin = &buf
	sum, conns, err := RunAll(r, Options{MaxConns: 256}, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Conns != flood+1 || len(conns) != flood+1 || sum.Parts != 0 {
		t.Errorf("%d ids, %d reported, %d parts; want %d, %d, 0", sum.Conns, len(conns), sum.Parts, flood+1, flood+1)
	}
	if sum.MaxOpen > 256 || sum.Evicted < flood-256 || sum.EvictedOpen != 0 {
		t.Errorf("at most %d open, %d evicted (%d open ones); want <= 256, >= %d, 0", sum.MaxOpen, sum.Evicted, sum.EvictedOpen, flood-256)
	}
	est := conns[0]
	if est.Evicted || est.Data.EndedBy != state.Fin || est.Packets[0]+est.Packets[1] != 3+2*flood/100+3 {
		t.Errorf("the established connection: evicted %v, ended by %v, %d packets", est.Evicted, est.Data.EndedBy, est.Packets[0]+est.Packets[1])
	}
	evicted := 0
	for _, c := range conns[1:] {
		if c.Evicted {
			evicted++
			if c.Data.EP[flow.Client].State != state.SynSent {
				t.Errorf("connection %d evicted in state %s", c.ID, c.Data.EP[flow.Client].State)
				break
			}
		}
	}
	if evicted != sum.Evicted {
		t.Errorf("%d connections marked evicted, the summary says %d", evicted, sum.Evicted)
	}
}
