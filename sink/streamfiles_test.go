package sink

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
)

var testdata = filepath.Join("..", "testdata", "pcaps")

// hooked is StreamFiles with a hook run when a connection finishes, before
// its files are handled: to change the directory during a run.
type hooked struct {
	*StreamFiles
	hook func(c *pipeline.Connection)
}

func (h hooked) Finished(c *pipeline.Connection) error {
	if h.hook != nil {
		h.hook(c)
	}
	return h.StreamFiles.Finished(c)
}

// writeStreams runs --write-streams over a capture into dir.
func writeStreams(t *testing.T, dir string, force bool, pcap string, hook func(*pipeline.Connection)) error {
	t.Helper()
	sf, err := NewStreamFiles(dir, force, t.TempDir())
	if err != nil {
		return err
	}
	r := capture.NewReader(filepath.Join(testdata, pcap))
	defer r.Close()
	_, err = pipeline.Run(r, pipeline.Options{}, hooked{sf, hook})
	return err
}

// place makes base/out (the directory the user names) and base/outside
// with a file that must never change, and returns their paths.
func place(t *testing.T) (out, outside string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	base := t.TempDir()
	out, outside = filepath.Join(base, "out"), filepath.Join(base, "outside")
	for _, d := range []string{out, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "file"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, outside
}

// untouched checks that nothing outside out changed: the precious file
// keeps its bytes and is alone.
func untouched(t *testing.T, outside string) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(outside, "file")); err != nil || string(b) != "precious" {
		t.Errorf("outside/file now holds %q (%v)", b, err)
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("outside holds %v, want only file", names)
	}
}

// listing is the directory's entries, with symbolic links marked "@".
func listing(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type()&os.ModeSymlink != 0 {
			n += "@"
		}
		names = append(names, n)
	}
	return strings.Join(names, " ")
}

const textbookFiles = "00000000-c2s.bin 00000000-s2c.bin streams.json"

// TestWriteStreamsLinks plants symbolic links where --write-streams writes:
// to a file outside the directory, dangling (to a file that does not exist
// outside), and in place of the manifest. Without --force the run is
// refused before anything is written; with it the link itself is replaced.
// Nothing outside the directory is ever touched.
func TestWriteStreamsLinks(t *testing.T) {
	for _, tc := range []struct {
		name, link, target string
	}{
		{"to a file outside", "00000000-c2s.bin", "../outside/file"},
		{"dangling", "00000000-s2c.bin", "../outside/new"},
		{"manifest", "streams.json", "../outside/file"},
		{"absolute", "00000000-c2s.bin", "OUTSIDE/file"},
	} {
		for _, force := range []bool{false, true} {
			out, outside := place(t)
			target := strings.Replace(tc.target, "OUTSIDE", outside, 1)
			if err := os.Symlink(target, filepath.Join(out, tc.link)); err != nil {
				t.Fatal(err)
			}
			err := writeStreams(t, out, force, "textbook.pcap", nil)
			untouched(t, outside)
			got := listing(t, out)
			if !force {
				want := out + " already holds " + filepath.Join(out, tc.link) + ": not overwriting (use --force)"
				if err == nil || err.Error() != want {
					t.Errorf("%s: error %v, want %q", tc.name, err, want)
				}
				if got != tc.link+"@" {
					t.Errorf("%s: directory holds %q, want only the link", tc.name, got)
				}
				continue
			}
			if err != nil || got != textbookFiles {
				t.Errorf("%s, --force: error %v, directory %q; want none and %q", tc.name, err, got, textbookFiles)
			}
		}
	}
}

// TestWriteStreamsRefusedPartway makes a file of the set appear during the
// run (after the first connection finished): without --force the run
// fails and leaves no half-written set, only what was there; with --force
// the file is replaced.
func TestWriteStreamsRefusedPartway(t *testing.T) {
	for _, force := range []bool{false, true} {
		out, outside := place(t)
		intruder := filepath.Join(out, "00000003-c2s.bin")
		err := writeStreams(t, out, force, "damaged.pcap", func(c *pipeline.Connection) {
			if c.ID == 1 {
				// A link to outside, made while the run goes on.
				if err := os.Symlink("../outside/file", intruder); err != nil {
					t.Fatal(err)
				}
			}
		})
		untouched(t, outside)
		got := listing(t, out)
		if !force {
			want := intruder + ": not overwriting an existing file (use --force)"
			if err == nil || err.Error() != want {
				t.Errorf("error %v, want %q", err, want)
			}
			if got != "00000003-c2s.bin@" {
				t.Errorf("directory holds %q, want only the intruder", got)
			}
			continue
		}
		if err != nil || !strings.Contains(got, "00000003-c2s.bin ") || strings.Contains(got, "@") || !strings.HasSuffix(got, "streams.json") {
			t.Errorf("--force: error %v, directory %q", err, got)
		}
	}
}

// TestWriteStreamsTempDirSwapped replaces the hidden directory of the
// run's temporary files by a link to outside while the run goes on: nothing
// is written outside. On Linux the run holds the hidden directory by its
// descriptor, so it finishes the set from there; elsewhere os.Root refuses
// the path through the link, and the run fails with nothing moved.
func TestWriteStreamsTempDirSwapped(t *testing.T) {
	out, outside := place(t)
	err := writeStreams(t, out, false, "damaged.pcap", func(c *pipeline.Connection) {
		if c.ID != 1 {
			return
		}
		ents, _ := os.ReadDir(out)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tcpflow-partial-") {
				p := filepath.Join(out, e.Name())
				if err := os.Rename(p, p+"-moved"); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("../outside", p); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	untouched(t, outside)
	got := listing(t, out)
	if runtime.GOOS == "linux" {
		if err != nil || !strings.Contains(got, "00000004-s2c.bin streams.json") {
			t.Errorf("error %v, directory holds %q", err, got)
		}
		return
	}
	if err == nil {
		t.Error("no error")
	}
	for _, name := range strings.Fields(got) {
		if strings.HasSuffix(name, ".bin") || name == "streams.json" {
			t.Errorf("directory holds %s", name)
		}
	}
}

// TestWriteStreamsDirIsLink: the directory the user names may itself be a
// link; it is what the user named, so the files go where it points.
func TestWriteStreamsDirIsLink(t *testing.T) {
	out, _ := place(t)
	link := out + "-link"
	if err := os.Symlink(out, link); err != nil {
		t.Fatal(err)
	}
	if err := writeStreams(t, link, false, "textbook.pcap", nil); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, out); got != textbookFiles {
		t.Errorf("directory holds %q, want %q", got, textbookFiles)
	}
}

var _ = errors.Is
