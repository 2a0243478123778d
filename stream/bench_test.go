package stream_test

import (
	"bytes"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/stream"
)

// BenchmarkStreams measures reassembly alone (gopacket/reassembly and our
// bookkeeping: offsets, retransmission comparison, hashing) on the bulk
// capture's segments decoded beforehand, per payload byte.
func BenchmarkStreams(b *testing.B) {
	data, err := gen.Bytes(gen.BenchOptions[gen.Bulk])
	if err != nil {
		b.Fatal(err)
	}
	type item struct {
		seg  capture.Segment
		conn int
		dir  flow.Dir
	}
	var items []item
	table := flow.NewTable[struct{}]()
	r := capture.NewReader("-")
	r.Stdin = bytes.NewReader(data)
	var seg capture.Segment
	var payload int64
	for r.Next(&seg) == nil {
		lr := table.Lookup(&seg)
		s := seg
		s.Payload = append([]byte(nil), seg.Payload...)
		payload += int64(len(s.Payload))
		items = append(items, item{s, lr.Conn.ID, lr.Dir})
	}
	b.SetBytes(payload)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reasm := stream.NewReassembler(nil, stream.DefaultOptions)
		streams := map[int]*stream.Streams{}
		for j := range items {
			it := &items[j]
			st := streams[it.conn]
			if st == nil {
				st = reasm.NewStreams(it.conn)
				streams[it.conn] = st
			}
			st.Feed(&it.seg, it.dir)
		}
		reasm.FlushAll()
		for _, st := range streams {
			st.Close()
		}
	}
}
