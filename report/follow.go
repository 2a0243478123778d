package report

// The conversation --follow prints, like Wireshark's Follow TCP Stream.

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// FollowMode chooses how --follow prints bytes.
type FollowMode int

// Follow modes.
const (
	FollowText FollowMode = iota // printable text, other bytes escaped
	FollowHex                    // hex dump with stream offsets
)

// followText shows bytes as text: printable ASCII, newlines and tabs as they
// are, every other byte (terminal controls included) escaped.
func followText(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f && c != '\\'):
			sb.WriteByte(c)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\r':
			sb.WriteString(`\r`)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// hexDump writes 16 bytes per line: stream offset, hex, printable characters.
func hexDump(w *bufio.Writer, off int64, b []byte) {
	for i := 0; i < len(b); i += 16 {
		line := b[i:min(i+16, len(b))]
		fmt.Fprintf(w, "%08x  ", off+int64(i))
		for j := 0; j < 16; j++ {
			if j < len(line) {
				fmt.Fprintf(w, "%02x ", line[j])
			} else {
				w.WriteString("   ")
			}
			if j == 7 {
				w.WriteByte(' ')
			}
		}
		w.WriteString(" |")
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				w.WriteByte(c)
			} else {
				w.WriteByte('.')
			}
		}
		w.WriteString("|\n")
	}
}

// FollowChunk is one piece of a followed conversation: Len bytes (Data) that
// one side sent from stream offset Off, first delivered by Frame, or a gap of
// Gap bytes missing from the stream, for the reason GapKind says.
type FollowChunk struct {
	Dir     flow.Dir
	Off     int64
	Len     int64
	Data    []byte
	Gap     int64
	GapKind stream.GapKind
	Frame   uint64
}

// FollowHeader writes the first lines of --follow: the connection and both
// sides' stream facts.
func FollowHeader(w *bufio.Writer, c *state.Connection) {
	fmt.Fprintf(w, "Follow TCP stream %s: client %s, server %s\n", connID(c), c.Client, c.Server)
	if st := c.Data.Streams; st != nil {
		for d := flow.C2S; d <= flow.S2C; d++ {
			fmt.Fprintf(w, "%s: %s\n", d.Side(), streamSummary(&st.Facts[d]))
		}
	}
}

// FollowChunkText writes one chunk under a line naming its side, stream
// offset, size and first frame; the bytes as escaped text or a hex dump.
func FollowChunkText(w *bufio.Writer, ch FollowChunk, mode FollowMode) {
	side := "client >"
	if ch.Dir == flow.S2C {
		side = "server <"
	}
	if ch.Gap > 0 && ch.GapKind == stream.BufferLimit {
		// Not a capture loss: the bytes may well be in the capture, later.
		fmt.Fprintf(w, "==== %s offset %d: %d bytes NOT REASSEMBLED: buffer limit reached (--max-buffer) ====\n", side, ch.Off, ch.Gap)
		return
	}
	if ch.Gap > 0 {
		fmt.Fprintf(w, "==== %s offset %d: %d bytes NOT CAPTURED (gap) ====\n", side, ch.Off, ch.Gap)
		return
	}
	fmt.Fprintf(w, "==== %s offset %d, %d bytes, from frame %d ====\n", side, ch.Off, len(ch.Data), ch.Frame)
	if mode == FollowHex {
		hexDump(w, ch.Off, ch.Data)
		return
	}
	w.WriteString(followText(ch.Data))
	if len(ch.Data) > 0 && ch.Data[len(ch.Data)-1] != '\n' {
		w.WriteString("\n")
	}
}

// FollowEnd writes the last line of --follow.
func FollowEnd(w *bufio.Writer) { w.WriteString("==== end ====\n") }
