package report

import (
	"strconv"
	"time"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// ConnKey is a connection's stable key: the same connection seen by two runs
// (over the same file, over a file and the set it belongs to, or by two
// sensors) has the same key, where its id depends on what else each run read.
// It is the client and the server, both ISNs ("-" when that side's SYN was
// not captured) and the time of the first frame, UTC to the nanosecond:
//
//	192.168.1.10:51234 93.184.216.34:80 785499813 2606501425 2024-01-02T03:04:05.000000000Z
//
// A connection cut in two by analyzing the files of a set separately has
// two keys, the second part's without ISNs: docs/parquet.md has the query
// that stitches such parts.
func ConnKey(c *state.Connection) string {
	return string(appendConnKey(make([]byte, 0, 96), c))
}

// appendConnKey appends ConnKey(c) to b.
func appendConnKey(b []byte, c *state.Connection) []byte {
	b = c.Client.AppendTo(b)
	b = append(b, ' ')
	b = c.Server.AppendTo(b)
	for _, d := range []flow.Dir{flow.Client, flow.Server} {
		b = append(b, ' ')
		if e := &c.Data.EP[d]; e.SYNSeen {
			b = strconv.AppendUint(b, uint64(e.ISN), 10)
		} else {
			b = append(b, '-')
		}
	}
	b = append(b, ' ')
	return time.Unix(0, c.FirstTime).UTC().AppendFormat(b, rfc3339Layout)
}
