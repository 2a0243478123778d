package sink

import (
	"errors"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// fastDirs does on Linux, with the directories' descriptors, what os.Root
// does with a path walk per call: a capture of short connections writes
// hundreds of thousands of files, and os.Root pays for each open four
// fcntl calls and a poller registration, and for each rename an open of the
// source directory and a stat. openat with a single path element and
// O_NOFOLLOW, and renameat2 between two directory descriptors, keep the
// same guarantees (nothing reached outside the directories, no link
// followed) in one system call each; renameat2's RENAME_NOREPLACE also
// refuses to replace a file that appeared after the last listing, which
// os.Root.Rename cannot.
type fastDirs struct {
	root, tmp *os.File // opened through the roots, kept for their descriptors
	rootFd    int
	tmpFd     int
	noReplace bool // false once the file system refused RENAME_NOREPLACE
}

func openFastDirs(root, tmpRoot *os.Root) (*fastDirs, error) {
	r, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	t, err := tmpRoot.Open(".")
	if err != nil {
		r.Close()
		return nil, err
	}
	return &fastDirs{root: r, tmp: t, rootFd: int(r.Fd()), tmpFd: int(t.Fd()), noReplace: true}, nil
}

func (f *fastDirs) close() {
	if f != nil {
		f.root.Close()
		f.tmp.Close()
	}
}

// open opens name in the hidden subdirectory; it never follows a link.
func (f *fastDirs) open(name string, flags int) (*os.File, error) {
	fd, err := unix.Openat(f.tmpFd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	for err == unix.EINTR {
		fd, err = unix.Openat(f.tmpFd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	}
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// move renames name from the hidden subdirectory (tmp, below root) into
// root; without force it never replaces a file. A file system without
// RENAME_NOREPLACE falls back to os.Root.Rename (the listing before the
// moves is then the only check).
func (f *fastDirs) move(root *os.Root, tmp, name string, force bool) error {
	if !force && f.noReplace {
		err := unix.Renameat2(f.tmpFd, name, f.rootFd, name, unix.RENAME_NOREPLACE)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EEXIST):
			return &os.LinkError{Op: "rename", Old: path.Join(tmp, name), New: name,
				Err: errors.New("not overwriting an existing file (use --force)")}
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
			f.noReplace = false
		default:
			return &os.LinkError{Op: "rename", Old: path.Join(tmp, name), New: name, Err: err}
		}
	}
	if force {
		if err := unix.Renameat(f.tmpFd, name, f.rootFd, name); err != nil {
			return &os.LinkError{Op: "rename", Old: path.Join(tmp, name), New: name, Err: err}
		}
		return nil
	}
	return root.Rename(path.Join(tmp, name), name)
}
