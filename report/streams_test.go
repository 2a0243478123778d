package report

import (
	"encoding/json"
	"testing"

	"github.com/tcpflow/tcpflow/flow"
)

// TestManifestEntryFlat checks that the hand-written manifest entry is byte
// for byte what json.MarshalIndent writes, with and without a file, a part
// and a protocol, and with strings JSON must escape.
func TestManifestEntryFlat(t *testing.T) {
	name := "00000012.2-c2s.bin"
	for _, e := range []manifestEntry{
		{Conn: 0, Dir: "c2s", From: "10.0.0.1:1", To: "10.0.0.2:80", SHA256: "e3b0", Gaps: []jsonGap{}, Overlaps: []jsonOverlap{}},
		{File: &name, Conn: 12, Part: 1, Dir: "s2c", From: "[::1]:80", To: "[::1]:5", Bytes: 1 << 40, SHA256: "ab",
			GapBytes: 3, Limit: 7, Gaps: []jsonGap{}, Overlaps: []jsonOverlap{}, Proto: "http"},
		{Conn: 3, Dir: "a<b>&\"\\\n\u2028", From: "x", To: "y", Proto: "\x01", Gaps: []jsonGap{}, Overlaps: []jsonOverlap{}},
	} {
		want, err := json.MarshalIndent(e, connIndent, " ")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.appendFlat(nil); string(got) != string(want) {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
}

// TestAppendStreamFileName: the names are those of the format the manifest
// documents (%08d-dir.bin, %08d.part-dir.bin).
func TestAppendStreamFileName(t *testing.T) {
	for _, tc := range []struct {
		id, part int
		d        flow.Dir
		want     string
	}{
		{0, 0, flow.C2S, "00000000-c2s.bin"},
		{12, 1, flow.S2C, "00000012.2-s2c.bin"},
		{123456789, 0, flow.C2S, "123456789-c2s.bin"},
	} {
		if got := string(AppendStreamFileName([]byte("x"), tc.id, tc.part, tc.d)); got != "x"+tc.want {
			t.Errorf("%d.%d %v: %q, want %q", tc.id, tc.part, tc.d, got, "x"+tc.want)
		}
	}
}
