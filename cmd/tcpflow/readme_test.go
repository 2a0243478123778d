package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// elided is a line of its own that stands for lines left out.
var elided = regexp.MustCompile(`(?m)^\.\.\.\n`)

// TestREADMEExamples runs the commands whose output README.md shows (a
// paragraph starting with `tcpflow ARGS`, then a code block) from the
// module root, as a user would on a fresh clone, and requires every piece
// of the block between "..." lines to appear in the output, in order.
func TestREADMEExamples(t *testing.T) {
	t.Chdir("../..")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^`(tcpflow [^`]*)`[^\n]*(?:\n[^\n]+)*?\n\n```\n((?s:.*?))```")
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(readme), -1) {
		found++
		args := strings.Fields(m[1])[1:]
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("%s: exit %d: %s", m[1], code, stderr.String())
			continue
		}
		out := stdout.String()
		at := 0
		for _, piece := range elided.Split(m[2], -1) {
			piece = strings.Trim(piece, "\n")
			if piece == "" {
				continue
			}
			i := strings.Index(out[at:], piece+"\n")
			if i < 0 {
				t.Errorf("README.md shows output of %s that it does not print (or not in this order):\n%s", m[1], piece)
				continue
			}
			at += i + len(piece)
		}
	}
	if found < 2 {
		t.Errorf("found %d examples of output in README.md, want the report and --explain", found)
	}
}
