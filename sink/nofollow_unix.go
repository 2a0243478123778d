//go:build unix

package sink

import "syscall"

// syscallNoFollow makes reopening a temporary stream file fail rather than
// follow a symbolic link put in its place.
const syscallNoFollow = syscall.O_NOFOLLOW
