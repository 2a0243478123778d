package report_test

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/report"
)

// TestTcpdumpFormat compares, frame by frame and line by line, what
// --format tcpdump prints with what `tcpdump -nn -S -vvv -r` prints, on
// every testdata capture and, with TCPFLOW_CORPUS, every corpus capture
// tcpdump reads. Frames may differ only in the ways docs/tcpdump-format.md
// lists (tdKnown); any other difference fails the test. It needs tcpdump.
// TCPFLOW_TDDEBUG=1 prints every frame of a known difference.
func TestTcpdumpFormat(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed")
	}
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		for _, pat := range []string{"*.pcap", "*.pcapng", "*.cap"} {
			more, _ := filepath.Glob(filepath.Join(dir, pat))
			files = append(files, more...)
		}
	} else {
		t.Log("TCPFLOW_CORPUS not set: only the testdata captures compared")
	}
	total := tdStats{known: map[string]int{}}
	var refused []string
	for _, path := range files {
		st, errs := compareTcpdump(path)
		if st.refused {
			// tcpdump reads no pcapng whose interfaces differ in link
			// type or snap length: compare each interface on its own.
			parts, err := splitByInterface(path, t.TempDir())
			if err != nil {
				refused = append(refused, filepath.Base(path)+" ("+err.Error()+")")
			}
			for i, part := range parts {
				pst, perrs := compareTcpdump(part)
				if pst.refused {
					refused = append(refused, fmt.Sprintf("%s interface %d", filepath.Base(path), i))
				}
				for _, e := range perrs {
					t.Errorf("%s, interface %d alone: %s", filepath.Base(path), i, e)
				}
				total.add(pst)
			}
			continue
		}
		for _, e := range errs {
			t.Errorf("%s: %s", filepath.Base(path), e)
		}
		total.add(st)
	}
	t.Logf("%d frames compared (%d TCP): %d identical (%d TCP); known differences:", total.frames, total.tcp, total.same, total.sameTCP)
	var keys []string
	for k := range total.known {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %6d  %s", total.known[k], k)
	}
	if len(refused) > 0 {
		t.Logf("not compared (tcpdump does not read them): %s", strings.Join(refused, ", "))
	}
	if total.tcp == 0 {
		t.Error("no TCP frame compared")
	}
}

type tdStats struct {
	frames, tcp, same, sameTCP int
	known                      map[string]int
	refused                    bool // tcpdump does not read the file
}

func (s *tdStats) add(o tdStats) {
	s.frames += o.frames
	s.tcp += o.tcp
	s.same += o.same
	s.sameTCP += o.sameTCP
	for k, v := range o.known {
		s.known[k] += v
	}
}

// tdPacketStart is the first line of a packet under tcpdump -#.
var tdPacketStart = regexp.MustCompile(`^ *([0-9]+)  ([0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} .*|\[Error converting time\] .*)$`)

// tdSLL2 is the interface name tcpdump prints for Linux cooked v2 frames,
// from the machine that reads the file; tcpflow prints "?".
var tdSLL2 = regexp.MustCompile(`^([0-9:.]{15} )(\S+ +)(In |Out|B  |M  |P  |\? )`)

func compareTcpdump(path string) (tdStats, []string) {
	st := tdStats{known: map[string]int{}}
	theirs, err := runTcpdump(path)
	if err != nil {
		st.refused = true // several link types in one pcapng
		return st, nil
	}
	r := capture.NewReader(path)
	defer r.Close()
	r.AllFrames = true
	var seg capture.Segment
	var errs []string
	var b []byte
	for r.Next(&seg) == nil {
		f := r.Frame()
		want, ok := theirs[f.Number]
		if !ok {
			continue
		}
		st.frames++
		isTCP := f.Segment && !seg.Quoted && f.Find(capture.HeaderTCP) >= 0
		if isTCP {
			st.tcp++
		}
		b = report.AppendTcpdump(b[:0], f)
		got := strings.TrimSuffix(string(b), "\n")
		want = tdSLL2.ReplaceAllString(want, "$1?     $3")
		if got == want {
			st.same++
			if isTCP {
				st.sameTCP++
			}
			continue
		}
		if k := tdKnown(got, want); k != "" {
			if isTCP {
				k += " [TCP]"
			}
			st.known[k]++
			if os.Getenv("TCPFLOW_TDDEBUG") != "" {
				fmt.Printf("%s frame %d: %s\n  tcpdump: %q\n  tcpflow: %q\n", filepath.Base(path), f.Number, k, want, got)
			}
			continue
		}
		if len(errs) < 5 {
			errs = append(errs, fmt.Sprintf("frame %d differs:\n  tcpdump: %q\n  tcpflow: %q", f.Number, want, got))
		} else if len(errs) == 5 {
			errs = append(errs, "more differences not shown")
		}
	}
	return st, errs
}

// runTcpdump returns tcpdump's text of each frame, by frame number.
func runTcpdump(path string) (map[uint64]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tcpdump", "-#", "-nn", "-S", "-vvv", "-r", path)
	if strings.HasSuffix(path, ".gz") { // tcpdump reads no gzip: hand it the capture
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		cmd = exec.CommandContext(ctx, "tcpdump", "-#", "-nn", "-S", "-vvv", "-r", "-")
		cmd.Stdin = zr
	}
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("tcpdump: %v: %s", err, stderr.String())
	}
	frames := map[uint64]string{}
	var cur uint64
	var text strings.Builder
	flush := func() {
		if cur != 0 {
			frames[cur] = text.String()
		}
		text.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if m := tdPacketStart.FindStringSubmatch(line); m != nil {
			flush()
			fmt.Sscan(m[1], &cur)
			text.WriteString(m[2])
			continue
		}
		text.WriteString("\n" + line)
	}
	flush()
	return frames, nil
}

// tdKnown names the documented difference between tcpflow's text (got) and
// tcpdump's (want) of one frame, or "" when there is none that explains it.
// Each is listed in docs/tcpdump-format.md.
func tdKnown(got, want string) string {
	switch {
	case strings.HasPrefix(want, "[Error converting time] ") && got[16:] == want[24:]:
		return "time tcpdump cannot print"
	case strings.Contains(got, "not printed by tcpflow]"):
		return "link layer or EtherType tcpflow does not print"
	case strings.HasSuffix(got, "UDP, length "+lastField(got)) && udpPrefix(got) != "" && strings.HasPrefix(want, udpPrefix(got)):
		return "UDP payload tcpdump decodes by port"
	case strings.Contains(got, " ip-proto-") && !strings.Contains(want, " ip-proto-") &&
		strings.HasPrefix(want, got[:strings.LastIndex(got, " ip-proto-")]):
		return "IP protocol tcpflow does not print (GRE, ESP, OSPF, ...)"
	case strings.HasPrefix(want, got) && tcpPortDecoded(got, want[len(got):]):
		return "TCP payload tcpdump decodes by port (telnet, BGP, DNS, SMB, ...)"
	case strings.Contains(got, "ICMP6, ") && strings.HasPrefix(want, got):
		return "ICMPv6 details (neighbor discovery options, ...)"
	}
	return ""
}

func lastField(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

// udpPrefix is got up to the UDP checksum's verdict, where tcpdump goes on
// with what it decodes of the payload.
func udpPrefix(got string) string {
	i := strings.LastIndex(got, "UDP, length ")
	if i < 0 {
		return ""
	}
	return got[:i]
}

// tdTCPPorts finds the ports of the last TCP line of a frame's text.
var tdTCPPorts = regexp.MustCompile(`\.([0-9]+) > [0-9a-f:.]+\.([0-9]+): Flags \[[^]]*\][^\n]*, length [0-9]+$`)

// tcpPortDecoded reports whether rest, what tcpdump prints after tcpflow's
// text got, is its decoding of the payload of a TCP segment on a port of a
// protocol tcpflow does not decode (telnet, BGP, DNS, SMB, ...).
func tcpPortDecoded(got, rest string) bool {
	m := tdTCPPorts.FindStringSubmatch(got)
	if m == nil || rest == "" || (rest[0] != ' ' && rest[0] != ':') {
		return false
	}
	for _, port := range []string{"23", "179", "1723", "6379", "139", "445", "10288", "6633", "6653", "53", "639", "323", "646", "2049"} {
		if m[1] == port || m[2] == port {
			return true
		}
	}
	return false
}

// splitByInterface writes the frames of each interface of a pcapng capture
// to a pcap file of its own in dir (nanosecond timestamps, the interface's
// link type and snap length) and returns their names, by interface index.
func splitByInterface(path, dir string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, err
	}
	var names []string
	var files []*os.File
	var ws []*pcapgo.Writer
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		for len(ws) <= ci.InterfaceIndex {
			i := len(ws)
			intf, err := r.Interface(i)
			if err != nil {
				return names, err
			}
			name := filepath.Join(dir, fmt.Sprintf("%s.if%d.pcap", filepath.Base(path), i))
			out, err := os.Create(name)
			if err != nil {
				return names, err
			}
			w := pcapgo.NewWriterNanos(out)
			if err := w.WriteFileHeader(cmp.Or(intf.SnapLength, 262144), intf.LinkType); err != nil {
				return names, err
			}
			names, files, ws = append(names, name), append(files, out), append(ws, w)
		}
		if err := ws[ci.InterfaceIndex].WritePacket(ci, data); err != nil {
			return names, err
		}
	}
}
