// Package corpus locates, for tests, the public capture corpus they compare
// with: captures from other projects' test suites (Wireshark, Zeek,
// Suricata, Arkime, nDPI, ...), kept outside the repository, in the
// directory TCPFLOW_CORPUS names. Tests that need it skip without it,
// saying so; tests that only add it to their own captures log that they
// left it out. A TCPFLOW_CORPUS that names no directory fails them: a typo
// must not pass for a skip.
package corpus

import (
	"os"
	"testing"
)

// Env is the environment variable that names the corpus directory.
const Env = "TCPFLOW_CORPUS"

// Dir returns the corpus directory, or "" when TCPFLOW_CORPUS is not set.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		return ""
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s=%s: not a directory (unset it to skip the tests on the capture corpus)", Env, dir)
	}
	return dir
}

// Require returns the corpus directory, or skips the test, naming what to
// set.
func Require(t testing.TB) string {
	t.Helper()
	dir := Dir(t)
	if dir == "" {
		t.Skipf("skipped: this test reads the public capture corpus; set %s to its directory to run it", Env)
	}
	return dir
}

// Optional returns the corpus directory, or "" after logging that the test
// runs without the corpus part (what says what is left out).
func Optional(t testing.TB, what string) string {
	t.Helper()
	dir := Dir(t)
	if dir == "" {
		t.Logf("%s is not set: %s", Env, what)
	}
	return dir
}
