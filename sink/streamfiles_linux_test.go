package sink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMoveNeverReplaces: a file that appears in the directory after the
// last listing is not replaced by a move without --force (renameat2's
// RENAME_NOREPLACE), and is with it.
func TestMoveNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", ".tmp/a", ".tmp/b"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tmpRoot, err := root.OpenRoot(".tmp")
	if err != nil {
		t.Fatal(err)
	}
	defer tmpRoot.Close()
	f, err := openFastDirs(root, tmpRoot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	if err := f.move(root, ".tmp", "b", false); err != nil || read("b") != ".tmp/b" {
		t.Errorf("b: %v, holds %q", err, read("b"))
	}
	err = f.move(root, ".tmp", "a", false)
	if err == nil || !strings.Contains(err.Error(), "not overwriting") || read("a") != "a" {
		t.Errorf("a without force: %v, holds %q", err, read("a"))
	}
	if err := f.move(root, ".tmp", "a", true); err != nil || read("a") != ".tmp/a" {
		t.Errorf("a with force: %v, holds %q", err, read("a"))
	}
}
