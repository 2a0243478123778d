//go:build !unix

package sink

// syscallNoFollow is not available here; the files are created with O_EXCL
// in a directory made for the run, which is what keeps links out.
const syscallNoFollow = 0
