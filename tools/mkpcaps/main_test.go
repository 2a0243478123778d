package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var update = flag.Bool("update", false, "rewrite testdata/pcaps from the generator (same as go run ./tools/mkpcaps)")

// committed is where the generated captures are checked in, relative to this
// package's directory (the working directory of its tests).
var committed = filepath.Join("..", "..", "testdata", "pcaps")

// notGenerated are the files in testdata/pcaps that mkpcaps does not write.
var notGenerated = map[string]bool{
	"README.md":     true,
	"loopback.sh":   true,
	"loopback.pcap": true, // loopback.sh: real traffic on lo
	// loopback.sh testdata/pcaps/loopback-again.pcap: the same scenario again
	"loopback-again.pcap": true,
}

// generate runs the generator into a temporary directory and returns it.
func generate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("mkpcaps -dir %s: exit %d: %s", dir, code, errOut.String())
	}
	return dir
}

// TestCommitted fails when a committed capture differs from what the
// generator writes now, so the two never drift apart. Fix with
// `go run ./tools/mkpcaps` from the module root, or go test -update here.
func TestCommitted(t *testing.T) {
	if *update {
		if err := writeAll(committed, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	dir := generate(t)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(committed, c.file))
			if err != nil {
				t.Fatalf("%v (run go run ./tools/mkpcaps)", err)
			}
			want, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(c.file, ".gz") {
				// compress/flate's output may change between Go releases;
				// what must not change is what it decompresses to.
				got, want = gunzip(t, got), gunzip(t, want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("testdata/pcaps/%s (%d bytes) differs from the generator's output (%d bytes) from byte %d%s: run go run ./tools/mkpcaps",
					c.file, len(got), len(want), firstDiff(got, want), diffFrame(got, want))
			}
		})
	}
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffFrame names the first frame whose bytes differ, when both files can be
// read.
func diffFrame(got, want []byte) string {
	g, _, _, gerr := readAll(got)
	w, _, _, werr := readAll(want)
	if gerr != nil || werr != nil {
		return ""
	}
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			return fmt.Sprintf(" (frame %d)", i+1)
		}
	}
	if len(g) != len(w) {
		return fmt.Sprintf(" (%d frames, want %d)", len(g), len(w))
	}
	return " (same frames, different headers)"
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestDeterministic runs the generator twice and compares every byte,
// gzip included.
func TestDeterministic(t *testing.T) {
	a, b := generate(t), generate(t)
	for _, c := range cases {
		x, err := os.ReadFile(filepath.Join(a, c.file))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs from byte %d", c.file, firstDiff(x, y))
		}
	}
}

// TestNoStrayFiles fails on a file in testdata/pcaps that no case writes and
// that is not known to come from elsewhere: a renamed or removed case.
func TestNoStrayFiles(t *testing.T) {
	known := map[string]bool{}
	for _, c := range cases {
		if known[c.file] {
			t.Errorf("two cases write %s", c.file)
		}
		known[c.file] = true
	}
	entries, err := os.ReadDir(committed)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !known[e.Name()] && !notGenerated[e.Name()] {
			t.Errorf("testdata/pcaps/%s is written by no case in tools/mkpcaps and not listed in notGenerated", e.Name())
		}
	}
	for name := range notGenerated {
		if _, err := os.Stat(filepath.Join(committed, name)); err != nil {
			t.Errorf("testdata/pcaps/%s is missing: %v", name, err)
		}
	}
}

// TestReadme checks that testdata/pcaps/README.md has a row for every
// capture.
func TestReadme(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(committed, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"loopback.pcap"}
	for _, c := range cases {
		names = append(names, c.file)
	}
	for _, n := range names {
		if !bytes.Contains(readme, []byte("| `"+n+"` |")) {
			t.Errorf("README.md has no row for %s (want a line starting | `%s` |)", n, n)
		}
	}
}

// readAll reads every packet of a capture with pcapgo, for pcap and pcapng,
// gzip-compressed or not. It returns what it read before any error.
func readAll(data []byte) (pkts [][]byte, lts []layers.LinkType, lens []int, err error) {
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == 0x0a0d0d0a {
		r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, nil, nil, err
		}
		for {
			d, ci, err := r.ReadPacketData()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				return pkts, lts, lens, err
			}
			pkts, lens = append(pkts, d), append(lens, ci.Length)
			lts = append(lts, ci.AncillaryData[0].(layers.LinkType))
		}
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, nil, err
	}
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return pkts, lts, lens, err
		}
		pkts, lens, lts = append(pkts, d), append(lens, ci.Length), append(lts, r.LinkType())
	}
}

// beyondGopacket are the captures whose frames gopacket cannot decode as a
// whole: link types and tunnels it has no decoder for (tunnels.pcap,
// linktypes.pcapng), headers made malformed on purpose (bad-headers.pcap).
// Their TCP checksums were checked with tshark (-o tcp.check_checksum:TRUE)
// when they were made; here only what gopacket reaches is checked.
var beyondGopacket = map[string]bool{"tunnels.pcap": true, "linktypes.pcapng": true, "bad-headers.pcap": true}

// badChecksums are the frames whose TCP checksum is wrong on purpose.
var badChecksums = map[string]map[int]bool{"damaged.pcap": {40: true}}

// offloaded are the captures whose TCP checksums are left to an offload, as
// on Linux's lo: the field holds the pseudo-header sum (loopbackChecksum),
// except on the kernel's RSTs, which are right.
var offloaded = map[string]bool{"echo.pcap": true}

// TestCapturesDecode reads every generated capture back with pcapgo and
// gopacket: every frame decodes, every complete TCP segment has a right
// checksum (against its own, innermost, IP header), and each capture holds
// TCP.
func TestCapturesDecode(t *testing.T) {
	dir := generate(t)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			pkts, lts, lens, err := readAll(data)
			broken := c.file == "corrupt.pcap" || c.file == "cutoff.pcap" || c.file == "bogus-block.pcapng"
			if err != nil && !broken {
				t.Fatalf("after %d packets: %v", len(pkts), err)
			}
			if len(pkts) == 0 {
				t.Fatal("no packets")
			}
			tcps := 0
			for i, d := range pkts {
				p := gopacket.NewPacket(d, lts[i], gopacket.Default)
				full := len(d) == lens[i]
				if el := p.ErrorLayer(); el != nil && full && !beyondGopacket[c.file] {
					t.Errorf("frame %d: %v", i+1, el.Error())
				}
				tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if !ok || p.Layer(layers.LayerTypeICMPv4) != nil {
					continue
				}
				tcps++
				if !full || tcp.DataOffset < 5 || lts[i] == layers.LinkTypeIEEE802_11 {
					// gopacket takes the last 4 bytes of an 802.11 frame
					// for an FCS; LINKTYPE_IEEE802_11 frames here have none.
					continue
				}
				var inner gopacket.NetworkLayer
				for _, l := range p.Layers() {
					if n, ok := l.(gopacket.NetworkLayer); ok {
						inner = n
					}
				}
				if err := tcp.SetNetworkLayerForChecksum(inner); err != nil {
					t.Fatal(err)
				}
				if offloaded[c.file] && !tcp.RST {
					want := append([]byte(nil), d...)
					loopbackChecksum(want)
					if !bytes.Equal(d, want) {
						t.Errorf("frame %d: checksum %#04x is not the pseudo-header sum of an offload", i+1, tcp.Checksum)
					}
					continue
				}
				if sum, err := tcp.ComputeChecksum(); (err != nil || sum != 0) != badChecksums[c.file][i+1] {
					t.Errorf("frame %d: bad TCP checksum %#04x (%v)", i+1, tcp.Checksum, err)
				}
			}
			if tcps == 0 {
				t.Error("no TCP segments")
			}
		})
	}
}

// TestBrokenFiles checks that corrupt.pcap and cutoff.pcap are broken where
// their README rows say.
func TestBrokenFiles(t *testing.T) {
	dir := generate(t)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	corrupt := read("corrupt.pcap")
	// The records before the broken one are textbook.pcap's.
	textbook := read("textbook.pcap")
	offs, err := pcapRecords(textbook)
	if err != nil {
		t.Fatal(err)
	}
	off := offs[corruptFrame-1]
	if !bytes.Equal(corrupt[:off], textbook[:off]) {
		t.Error("corrupt.pcap differs from textbook.pcap before the broken record")
	}
	if got := binary.LittleEndian.Uint32(corrupt[off+8:]); got != corruptCaplen {
		t.Errorf("frame %d caplen at byte %d is %#x, want %#x", corruptFrame, off+8, got, corruptCaplen)
	}
	pkts, _, _, err := readAll(corrupt)
	if err == nil || len(pkts) != corruptFrame-1 {
		t.Errorf("pcapgo read %d packets then %v; want %d and an error", len(pkts), err, corruptFrame-1)
	}

	cutoff := read("cutoff.pcap")
	pkts, _, _, err = readAll(cutoff)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(pkts) != len(offs)-1 {
		t.Errorf("cutoff.pcap: pcapgo read %d packets then %v; want %d and unexpected EOF", len(pkts), err, len(offs)-1)
	}
	if last := offs[len(offs)-1]; len(cutoff) <= last+16 || !bytes.Equal(cutoff, textbook[:len(cutoff)]) {
		t.Errorf("cutoff.pcap is %d bytes, want a prefix of textbook.pcap ending inside the last record's data (after byte %d)", len(cutoff), last+16)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("run(%q) = %d with stderr %q; want 2 and a message", args, code, errOut.String())
		}
	}
}
