//go:build !linux

package sink

import "os"

// fastDirs exists on Linux only (streamfiles_linux.go); elsewhere os.Root
// does every file operation.
type fastDirs struct{}

func openFastDirs(*os.Root, *os.Root) (*fastDirs, error) { return nil, nil }

func (*fastDirs) close() {}

func (*fastDirs) open(string, int) (*os.File, error) { panic("unreachable") }

func (*fastDirs) move(*os.Root, string, string, bool) error { panic("unreachable") }
