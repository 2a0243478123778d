package report

import (
	"strings"
	"testing"
)

// FuzzParseFactLine splits any line: no panic, and a fact line is exactly
// its id, "=" and its value; a fact the report writes parses back into
// its subject and key and its value.
func FuzzParseFactLine(f *testing.F) {
	f.Add("conn 10.0.0.5:*->10.0.0.9:443 #2 history=ShADadFf", "conn x #1", "rtt_ms", "20.5")
	f.Add("# settings: ignore=isn tolerance=rtt=20%", "capture", "frames", "12")
	f.Add("=", "", "k", "")
	f.Fuzz(func(t *testing.T, line, subject, key, value string) {
		if id, v, ok := ParseFactLine(line); ok && (id+"="+v != line || strings.HasPrefix(line, "#")) {
			t.Fatalf("%q split into %q and %q", line, id, v)
		}
		if strings.ContainsAny(key, " =\n") || strings.Contains(value, "=") || subject == "" || strings.HasPrefix(subject, "#") {
			return // no fact the report writes
		}
		fact := Fact{Subject: subject, Key: key, Value: value}
		id, v, ok := ParseFactLine(fact.Line())
		if !ok || id != subject+" "+key || v != value {
			t.Fatalf("%q parsed as %q, %q, %v", fact.Line(), id, v, ok)
		}
	})
}
