package flow

// Seq is a TCP sequence number. Comparisons are modulo 2^32 (RFC 9293 section
// 3.4): a is before b when the signed 32-bit difference b-a is positive, which
// holds as long as the two are less than 2^31 apart.
type Seq uint32

// LessThan reports whether s comes before t.
func (s Seq) LessThan(t Seq) bool { return int32(s-t) < 0 }

// LessEq reports whether s comes before t or equals it.
func (s Seq) LessEq(t Seq) bool { return int32(s-t) <= 0 }

// Add returns s advanced by n bytes.
func (s Seq) Add(n int) Seq { return s + Seq(uint32(n)) }

// Diff returns the signed distance s-t.
func (s Seq) Diff(t Seq) int64 { return int64(int32(s - t)) }

// InWindow reports whether s lies in [first, first+size).
func (s Seq) InWindow(first Seq, size uint32) bool { return uint32(s-first) < size }
