package report

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tcpflow/tcpflow/state"
)

// A time window (--since, --until) picks the connections active in it:
// tracking runs over the whole capture, so each keeps its id, and only the
// report leaves the others out.

// Bound is one end of a time window: an absolute time (RFC 3339), or a
// duration after the capture's first frame (relative times count from it,
// as everywhere in the report). The zero value is no bound.
type Bound struct {
	Set bool
	Abs bool  // NS is ns since the epoch; else ns after the first frame
	NS  int64 // see Abs
	// Text is the bound as given, for the header's triage line.
	Text string
}

// ParseBound reads a bound: "2024-01-02T03:04:05Z" (RFC 3339, any zone,
// fractions of a second to the ns), or a duration such as "30s", "+1m30s",
// "1.5s" or "250ms" after the capture's first frame. name is the flag's, for
// errors.
func ParseBound(name, s string) (Bound, error) {
	if s == "" {
		return Bound{}, fmt.Errorf("%s: want an RFC 3339 time or a duration after the first frame", name)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Bound{Set: true, Abs: true, NS: t.UnixNano(), Text: s}, nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil || strings.HasPrefix(s, "-") {
		return Bound{}, fmt.Errorf("%s %q: want an RFC 3339 time (2024-01-02T03:04:05Z) or a duration after the first frame (30s, +1m30s)", name, s)
	}
	return Bound{Set: true, NS: int64(d), Text: s}, nil
}

// at is the bound in ns since the epoch, relative bounds counted from base
// (the first frame's time).
func (b Bound) at(base int64) int64 {
	if b.Abs {
		return b.NS
	}
	return base + b.NS
}

// CheckWindow refuses a window whose end comes before its start, when both
// are of one kind (an absolute and a relative bound can only be compared
// once the capture is read: such a window then shows nothing).
func CheckWindow(since, until Bound) error {
	if since.Set && until.Set && since.Abs == until.Abs && until.NS < since.NS {
		return errors.New("--until " + until.Text + " is before --since " + since.Text)
	}
	return nil
}

// inWindow reports whether connection c was active in the window: its
// first segment at or before the end, its last at or after the start.
func (t Triage) inWindow(c *state.Connection, base int64) bool {
	if t.Since.Set && c.LastTime < t.Since.at(base) {
		return false
	}
	if t.Until.Set && c.FirstTime > t.Until.at(base) {
		return false
	}
	return true
}

// Window says the window in absolute times, for the header:
// "2024-01-02 03:04:35.000000 UTC to the end" ("" without one).
func (t Triage) Window(base int64) string {
	if !t.Since.Set && !t.Until.Set {
		return ""
	}
	from, to := "the start", "the end"
	if t.Since.Set {
		from = utc(t.Since.at(base))
	}
	if t.Until.Set {
		to = utc(t.Until.at(base))
	}
	return from + " to " + to
}
