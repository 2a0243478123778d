package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"golang.org/x/tools/txtar"

	"github.com/tcpflow/tcpflow/internal/corpus"
)

// TestScripts runs the CLI scripts in testdata/*.txtar. Each script's comment is
// a list of commands, one per line:
//
//	tcpflow ARGS...   run tcpflow (fields split on spaces, '...' keeps spaces;
//	                  $CORPUS is the shared capture corpus, $TESTDATA the
//	                  project's captures, $WORK a fresh temporary directory
//	                  holding the archive's files)
//	exit N            the last run exited with N
//	stdout RE         its stdout matches the regular expression RE
//	!stdout RE        it does not
//	stderr RE, !stderr RE   the same for stderr
//	cmp stdout FILE   its stdout is exactly the archive's FILE (with $WORK,
//	                  $TESTDATA and $CORPUS in FILE replaced); cmp stderr too
//	width N           no line of its stdout is wider than N columns
//	stdin FILE        the next run reads FILE (a path, or a file of the archive) as stdin
//	signal SIG after N   the next run receives SIGINT (SIG is INT) or SIGTERM
//	                  (TERM) once it has read N bytes of its stdin, which then
//	                  stays open without data, as a pipe from a live capture
//	stdout-closes-after N   the next run's stdout takes N bytes, then fails
//	                  with EPIPE as a pipe whose reader went away (| head)
//	file PATH RE      the file PATH exists and its content matches RE
//	!file PATTERN     no file matches PATTERN (a glob)
//
// Scripts that use $CORPUS are skipped when TCPFLOW_CORPUS is unset.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	shared := corpus.Dir(t)
	testdata, _ := filepath.Abs("../../testdata/pcaps")
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			script := string(ar.Comment)
			if strings.Contains(script, "$CORPUS") && shared == "" {
				corpus.Require(t)
			}
			work := t.TempDir()
			archive := map[string][]byte{}
			for _, f := range ar.Files {
				archive[f.Name] = f.Data
				if err := os.WriteFile(filepath.Join(work, f.Name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			expand := strings.NewReplacer("$CORPUS", shared, "$TESTDATA", testdata, "$WORK", work)
			var stdout, stderr bytes.Buffer
			var stdin []byte
			var sig *pendingSignal
			closeAfter := -1
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
					args, err := splitFields(arg)
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					stdout.Reset()
					stderr.Reset()
					s := &sys{stdin: bytes.NewReader(stdin), stdout: &stdout, stderr: &stderr}
					if closeAfter >= 0 {
						s.stdout = &closingWriter{w: &stdout, left: closeAfter}
					}
					if sig != nil {
						ch := make(chan os.Signal, 1)
						quiet := make(chan struct{})
						s.stdin = &signalingReader{r: bytes.NewReader(stdin), left: sig.after, sig: sig.sig, ch: ch, quiet: quiet}
						s.signals = ch
						code = s.run(args, nil)
						close(quiet)
					} else {
						code = s.run(args, nil)
					}
					stdin, sig, closeAfter = nil, nil, -1
				case "stdin":
					if !filepath.IsAbs(arg) {
						arg = filepath.Join(work, arg)
					}
					if stdin, err = os.ReadFile(arg); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
				case "signal":
					if sig, err = parseSignal(arg); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
				case "stdout-closes-after":
					if closeAfter, err = strconv.Atoi(arg); err != nil {
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
				case "cmp":
					which, name, _ := strings.Cut(arg, " ")
					want, ok := archive[name]
					if !ok {
						t.Fatalf("%s: no file %q in the archive", where, name)
					}
					got := stdout.String()
					if which == "stderr" {
						got = stderr.String()
					}
					if w := expand.Replace(string(want)); got != w {
						t.Errorf("%s: %s differs from %s (-want +got):\n%s", where, which, name, lineDiff(w, got))
					}
				case "width":
					limit, _ := strconv.Atoi(arg)
					for n, l := range strings.Split(stdout.String(), "\n") {
						if utf8.RuneCountInString(l) > limit {
							t.Errorf("%s: stdout line %d is %d columns wide:\n%s", where, n+1, utf8.RuneCountInString(l), l)
							break
						}
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
					if m, _ := filepath.Glob(arg); len(m) > 0 {
						t.Errorf("%s: %s exists", where, m[0])
					}
				default:
					t.Fatalf("%s: unknown command %q", where, cmd)
				}
			}
		})
	}
}

// splitFields splits a command line on spaces; '...' keeps its spaces.
func splitFields(s string) ([]string, error) {
	var fields []string
	var cur strings.Builder
	inQuote, inField := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQuote, inField = !inQuote, true
		case r == ' ' && !inQuote:
			if inField {
				fields = append(fields, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inQuote {
		return nil, errors.New("unterminated quote")
	}
	if inField {
		fields = append(fields, cur.String())
	}
	return fields, nil
}

// lineDiff shows two texts line by line, - for want and + for got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		switch {
		case i >= len(w):
			fmt.Fprintf(&b, "+%s\n", g[i])
		case i >= len(g):
			fmt.Fprintf(&b, "-%s\n", w[i])
		case w[i] != g[i]:
			fmt.Fprintf(&b, "-%s\n+%s\n", w[i], g[i])
		default:
			fmt.Fprintf(&b, " %s\n", w[i])
		}
	}
	return b.String()
}

type pendingSignal struct {
	sig   os.Signal
	after int
}

func parseSignal(arg string) (*pendingSignal, error) {
	f := strings.Fields(arg)
	if len(f) != 3 || f[1] != "after" {
		return nil, fmt.Errorf("want: signal INT|TERM after N")
	}
	p := &pendingSignal{}
	switch f[0] {
	case "INT":
		p.sig = syscall.SIGINT
	case "TERM":
		p.sig = syscall.SIGTERM
	default:
		return nil, fmt.Errorf("unknown signal %q", f[0])
	}
	n, err := strconv.Atoi(f[2])
	p.after = n
	return p, err
}

// signalingReader gives the first bytes of r, then sends the signal and
// blocks like a pipe without data, until quiet is closed.
type signalingReader struct {
	r     io.Reader
	left  int
	sig   os.Signal
	ch    chan os.Signal
	sent  bool
	quiet chan struct{}
}

func (s *signalingReader) Read(p []byte) (int, error) {
	if s.left > 0 {
		n, err := s.r.Read(p[:min(len(p), s.left)])
		s.left -= n
		return n, err
	}
	if !s.sent {
		s.sent = true
		s.ch <- s.sig
	}
	<-s.quiet
	return 0, io.EOF
}

// closingWriter takes left bytes, then fails as a pipe without a reader.
type closingWriter struct {
	w    io.Writer
	left int
}

func (c *closingWriter) Write(p []byte) (int, error) {
	if len(p) <= c.left {
		c.left -= len(p)
		return c.w.Write(p)
	}
	n, _ := c.w.Write(p[:c.left])
	c.left = 0
	return n, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
}

// TestEvictedSaid: a connection finished early to stay within --max-conns is
// said to be in the table and in its story, not only counted in the header.
func TestEvictedSaid(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "pcaps", "port-reuse.pcap")
	out := runOK(t, "--max-conns", "1", in)
	if !strings.Contains(out, "evicted: ") {
		t.Error("no eviction count in the header")
	}
	row := regexp.MustCompile(`(?m)^ +198\.51\.100\.20:80 +0 +0 +evicted$`)
	if !row.MatchString(out) {
		t.Errorf("no table row says evicted:\n%s", out)
	}
	if !strings.Contains(out, "ended: open, evicted (finished while open to stay within --max-conns") {
		t.Errorf("no story says evicted:\n%s", out)
	}
	if strings.Contains(runOK(t, in), "evicted") {
		t.Error("evicted said without a cap reached")
	}
}
