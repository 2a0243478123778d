package report

import "strings"

// lineDiff is a small line diff: it prints the lines that differ around the
// first difference, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var sb strings.Builder
	for k := max(0, i-2); k < i; k++ {
		sb.WriteString("  " + w[k] + "\n")
	}
	for k := i; k < len(w) && k < i+8; k++ {
		sb.WriteString("- " + w[k] + "\n")
	}
	for k := i; k < len(g) && k < i+8; k++ {
		sb.WriteString("+ " + g[k] + "\n")
	}
	return sb.String()
}

// LineDiff is lineDiff for the external tests.
var LineDiff = lineDiff
