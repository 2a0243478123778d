package state

import "math/bits"

// rttHist is a log-bucketed histogram of round-trip times, for the
// percentiles of the Karn samples (RTTStats.Percentile). Each power of two
// of nanoseconds (an octave) is cut into histSub equal buckets, as HDR
// histograms do: a bucket is at most 1/8 of its lower bound wide, so the
// bucket's middle, which a percentile reports, is within 6.25 % of every
// sample in it (and the result is clamped to the exact min and max). Samples
// under 2^histLow ns (about 1 µs) share the first bucket, samples of 2^histHigh
// ns (about 137 s) and over the last one. Counts are 16 bits: when one would
// overflow, all are halved, which keeps their proportions (the percentiles)
// to within a count. It is 436 bytes, allocated at a
// direction's second sample (one sample is its own min, max and every
// percentile): a connection with one sample or none (a SYN flood's half-open
// ones, whose only sample is the SYN's) carries only the nil pointer.
type rttHist struct {
	n [histBuckets]uint16
}

const (
	histSub     = 8  // buckets per octave
	histLow     = 10 // 2^10 ns = 1.024 µs: the first octave kept apart
	histHigh    = 37 // 2^37 ns ≈ 137 s: samples above share the last bucket
	histBuckets = 1 + (histHigh-histLow)*histSub + 1
)

// histIndex is the bucket of a sample of ns nanoseconds.
func histIndex(ns int64) int {
	if ns < 1<<histLow {
		return 0
	}
	if ns >= 1<<histHigh {
		return histBuckets - 1
	}
	oct := bits.Len64(uint64(ns)) - 1 // 2^oct <= ns < 2^(oct+1)
	sub := int(ns>>(oct-3)) & (histSub - 1)
	return 1 + (oct-histLow)*histSub + sub
}

// histMid is the middle of bucket i in ns (for the first and last buckets,
// their bounds: the clamp to min and max makes them exact or close).
func histMid(i int) int64 {
	switch {
	case i == 0:
		return 1 << histLow
	case i >= histBuckets-1:
		return 1 << histHigh
	}
	oct := histLow + (i-1)/histSub
	sub := int64((i - 1) % histSub)
	width := int64(1) << (oct - 3)
	return int64(1)<<oct + sub*width + width/2
}

// sample adds one Karn round trip: the count, min, max and sum, and the
// histogram, allocated at the second sample (the first is then Min).
func (r *RTTStats) sample(ns int64) {
	if r.Count == 1 && r.hist == nil {
		r.hist = new(rttHist)
		r.hist.add(histIndex(r.Min))
	}
	r.add(ns)
	if r.hist == nil {
		return
	}
	r.hist.add(histIndex(ns))
}

// add counts a sample in bucket i, halving every count first when i's is
// full (a bucket with samples keeps at least one).
func (h *rttHist) add(i int) {
	if h.n[i] == ^uint16(0) {
		for j, n := range h.n {
			h.n[j] = (n + 1) / 2
		}
	}
	h.n[i]++
}

// Percentile is the p-th percentile (0 < p <= 100) of the samples by the
// nearest-rank rule (the smallest sample with at least p % of the samples at
// or below it), within 6.25 % (rttHist) and never outside min and max; -1
// when there are none, or several not kept for percentiles (ACK RTTs).
func (r *RTTStats) Percentile(p float64) int64 {
	switch {
	case r.Count == 1 && r.hist == nil && r.Sum == r.Min:
		return r.Min // one Karn sample: the histogram waits for a second
	case r.hist == nil:
		return -1
	}
	var total uint64 // r.Count until counts were halved
	for _, n := range r.hist.n {
		total += uint64(n)
	}
	rank := uint64(p / 100 * float64(total))
	if float64(rank) < p/100*float64(total) {
		rank++ // ceil
	}
	rank = max(rank, 1)
	var seen uint64
	for i, n := range r.hist.n {
		if seen += uint64(n); seen >= rank {
			return min(max(histMid(i), r.Min), r.Max)
		}
	}
	return r.Max
}
