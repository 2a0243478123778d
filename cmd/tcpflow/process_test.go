package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildTCPFlow builds the command once for the tests that run it as a
// process: signals and closed pipes are the process's business.
func buildTCPFlow(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs tcpflow as a process; skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals and pipes as on Unix")
	}
	bin := filepath.Join(t.TempDir(), "tcpflow")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exitCode is the exit status of a finished command.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestProcess runs the built command: a closed output pipe ends it quietly,
// and SIGINT or SIGTERM while it waits on a quiet input pipe stops it with
// the report of what it read.
func TestProcess(t *testing.T) {
	bin := buildTCPFlow(t)
	capture := "../../testdata/pcaps/lossy.pcap"

	t.Run("closed pipe", func(t *testing.T) {
		// Enough output to fill the pipe: the capture 40 times over.
		args := []string{"--quiet"}
		for i := 0; i < 40; i++ {
			args = append(args, capture)
		}
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 100)
		if _, err := io.ReadFull(out, head); err != nil {
			t.Fatal(err)
		}
		out.Close() // | head -c 100
		if code := exitCode(t, cmd.Wait()); code != 0 || stderr.Len() != 0 {
			t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
		}
	})

	data, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	// More than a pipe holds, so that writing it all means tcpflow runs.
	input := append([]byte{}, data...)
	for len(input) < 1<<20 {
		input = append(input, data[24:]...)
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "--summary", "-")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if _, err := in.Write(input); err != nil {
				t.Fatal(err)
			}
			// The pipe stays open and quiet, as tcpdump -w - on an idle link.
			defer in.Close()
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(tt.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatal("tcpflow did not stop within a minute of the signal")
			}
			if code := exitCode(t, err); code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "\ninterrupted: reading stopped at frame ") ||
				!strings.Contains(stdout.String(), "\n 0  192.0.2.10:49152") {
				t.Errorf("no report of what was read, marked interrupted:\n%s", stdout.String())
			}
			if !strings.HasPrefix(stderr.String(), "tcpflow: interrupted: reading stopped at frame ") {
				t.Errorf("stderr %q", stderr.String())
			}
		})
	}
}
