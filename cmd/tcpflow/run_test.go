package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestScripts runs the CLI scripts in testdata/*.txtar. Each script's comment is
// a list of commands, one per line:
//
//	tcpflow ARGS...   run tcpflow (fields split on spaces; $CORPUS is the
//	                  shared capture corpus, $TESTDATA the project's captures,
//	                  $WORK a fresh temporary directory)
//	exit N            the last run exited with N
//	stdout RE         its stdout matches the regular expression RE
//	!stdout RE        it does not
//	stderr RE, !stderr RE   the same for stderr
//	stdin FILE        the next run reads FILE (a path, or a file of the archive) as stdin
//	file PATH RE      the file PATH exists and its content matches RE
//	!file PATH        the file PATH does not exist
//
// Scripts that use $CORPUS are skipped when TCPFLOW_CORPUS is unset.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	corpus := os.Getenv("TCPFLOW_CORPUS")
	testdata, _ := filepath.Abs("../../testdata/pcaps")
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			script := string(ar.Comment)
			if strings.Contains(script, "$CORPUS") && corpus == "" {
				t.Skip("TCPFLOW_CORPUS not set")
			}
			work := t.TempDir()
			for _, f := range ar.Files {
				if err := os.WriteFile(filepath.Join(work, f.Name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			expand := strings.NewReplacer("$CORPUS", corpus, "$TESTDATA", testdata, "$WORK", work)
			var stdout, stderr bytes.Buffer
			var stdin []byte
			code := -1
			for i, line := range strings.Split(script, "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				cmd, arg, _ := strings.Cut(line, " ")
				arg = expand.Replace(arg)
				where := file + ":" + strconv.Itoa(i+1)
				switch cmd {
				case "tcpflow":
					stdout.Reset()
					stderr.Reset()
					code = run(strings.Fields(arg), bytes.NewReader(stdin), &stdout, &stderr)
					stdin = nil
				case "stdin":
					if !filepath.IsAbs(arg) {
						arg = filepath.Join(work, arg)
					}
					if stdin, err = os.ReadFile(arg); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
				case "exit":
					if want, _ := strconv.Atoi(arg); code != want {
						t.Errorf("%s: exit code %d, want %d\nstderr:\n%s", where, code, want, stderr.String())
					}
				case "stdout", "!stdout", "stderr", "!stderr":
					re, err := regexp.Compile("(?m)" + strings.Trim(arg, "'"))
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					out := stdout.String()
					if strings.HasSuffix(cmd, "stderr") {
						out = stderr.String()
					}
					if neg := cmd[0] == '!'; re.MatchString(out) == neg {
						t.Errorf("%s: %s %q: got\n%s", where, cmd, re, out)
					}
				case "file":
					path, pat, _ := strings.Cut(arg, " ")
					data, err := os.ReadFile(path)
					if err != nil {
						t.Errorf("%s: %v", where, err)
						continue
					}
					re, err := regexp.Compile("(?m)" + strings.Trim(pat, "'"))
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					if !re.Match(data) {
						t.Errorf("%s: %s does not match %q: got\n%s", where, path, re, data)
					}
				case "!file":
					if _, err := os.Stat(arg); err == nil {
						t.Errorf("%s: %s exists", where, arg)
					}
				default:
					t.Fatalf("%s: unknown command %q", where, cmd)
				}
			}
		})
	}
}
