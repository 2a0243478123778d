package state

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
)

// streamCaptures are captures with many connections, port reuse and closes.
var streamCaptures = []string{
	"chrissanders__http_espn_fail.pcapng",
	"zeek__ssh-dups.pcap",
	"arkime__wireshark-retrans.pcap",
}

// TestStreaming checks that a streaming run (Options.Done) hands over every
// selected connection exactly once with the same facts as a run that keeps
// them all, and that with a short linger time connections are handed over
// before the input ends.
func TestStreaming(t *testing.T) {
	dir := os.Getenv("TCPFLOW_CORPUS")
	if dir == "" {
		t.Skip("TCPFLOW_CORPUS not set")
	}
	for _, name := range streamCaptures {
		path := filepath.Join(dir, name)
		t.Run(name, func(t *testing.T) {
			r := capture.NewReader(path)
			whole := Run(r, Options{}, nil)
			r.Close()

			for _, linger := range []int64{0, 1} {
				var got []*Connection
				early := 0 // handed over before the last frame was read
				r := capture.NewReader(path)
				res := Run(r, Options{Linger: linger, Workers: -1, Done: func(c *Connection) {
					got = append(got, c)
					if r.Stats.Frames < whole.Stats.Frames {
						early++
					}
				}}, nil)
				r.Close()
				if linger == 1 && name == streamCaptures[0] && early == 0 {
					t.Errorf("linger 1 ns: no connection was handed over before the end")
				}
				if len(res.Conns) != 0 {
					t.Errorf("linger %d: streaming run kept %d connections", linger, len(res.Conns))
				}
				if len(got) != len(whole.Conns) {
					t.Fatalf("linger %d: %d connections handed over, want %d", linger, len(got), len(whole.Conns))
				}
				slices.SortFunc(got, func(a, b *Connection) int { return a.ID - b.ID })
				for i, c := range got {
					w := whole.Conns[i]
					if linger == 0 && (c.ID != w.ID || c.Packets != w.Packets || c.Data.Zeek.History() != w.Data.Zeek.History() ||
						c.Data.Count != w.Data.Count || c.Data.EndedBy != w.Data.EndedBy) {
						t.Errorf("connection %d differs when streamed", c.ID)
					}
				}
			}
		})
	}
}
