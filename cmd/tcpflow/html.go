package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// pictureFlags are the flags of the HTML report and the SVG pictures: extra
// outputs beside the text (or JSON) report.
type pictureFlags struct {
	html string
	svg  string
	max  int
}

func (p *pictureFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&p.html, "html", "", "also write a self-contained HTML report (table, expert summary, graphs) to `FILE`")
	fs.StringVar(&p.svg, "svg", "", "also write the graphs of the connections shown in detail as SVG files into `DIR` (never overwriting without --force)")
	fs.IntVar(&p.max, "html-max", sink.DefaultHTMLMax, "with --html or --svg: show the `N` worst connections in detail (besides those the expert summary names and those chosen with --conn)")
}

// pictureSink returns the sink of --html and --svg (nil without them), and
// the function to call after the run with its error: it puts the HTML file
// in place when the run succeeded, and removes what it wrote when not.
func pictureSink(f *flags, stats *capture.Stats) (pipeline.Sink, func(error) error, error) {
	p := &f.pictures
	done := func(error) error { return nil }
	if p.html == "" && p.svg == "" {
		return nil, done, nil
	}
	if p.max <= 0 {
		return nil, done, errors.New("--html-max must be at least 1")
	}
	var ids []int
	for _, s := range f.conns {
		if id, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			ids = append(ids, id)
		}
	}
	opts := sink.HTMLOptions{SVGDir: p.svg, Force: f.force, Max: p.max, Report: report.Options{Absolute: f.abs},
		Pinned: func(c *pipeline.Connection) bool { return contains(ids, c.ID) }}
	var tmp *os.File
	if p.html != "" {
		// Written beside its final name and put in place at the end, so
		// that a failed run leaves an earlier report as it was; an existing
		// file is replaced only with --force.
		if _, err := os.Lstat(p.html); err == nil && !f.force {
			return nil, done, fmt.Errorf("--html %s: the file exists (use --force to replace it)", p.html)
		}
		var err error
		tmp, err = os.CreateTemp(filepath.Dir(p.html), "."+filepath.Base(p.html)+".*")
		if err != nil {
			return nil, done, fmt.Errorf("--html %s: %w", p.html, err)
		}
		tmp.Chmod(0o644) // as os.Create would make it, not CreateTemp's 0600
		opts.W = tmp
		done = func(runErr error) error {
			err := tmp.Close()
			if runErr == nil && err == nil {
				if f.force {
					err = os.Rename(tmp.Name(), p.html)
				} else {
					err = os.Link(tmp.Name(), p.html) // fails if one appeared meanwhile
					os.Remove(tmp.Name())
				}
			}
			if runErr != nil || err != nil {
				os.Remove(tmp.Name())
			}
			return err
		}
	}
	h, err := sink.NewHTML(stats, opts)
	if err != nil {
		done(err)
		return nil, func(error) error { return nil }, fmt.Errorf("--svg: %w", err)
	}
	return h, done, nil
}
