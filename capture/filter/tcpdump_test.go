package filter

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/tcpflow/tcpflow/internal/corpus"
)

// differential are the expressions compared with tcpdump: every supported
// form, with the addresses and ports of the zoo and of testdata/pcaps.
var differential = []string{
	"",
	"tcp", "udp", "icmp", "icmp6", "arp", "rarp", "ip", "ip6", "sctp",
	"igmp or pim or vrrp", "esp or ah",
	"port 80", "tcp port 443", "udp port 53", "sctp port 80",
	"src port 80", "dst port 80 or dst port 443",
	"port 80 or 443 or 51234",
	"tcp src or dst port 80", "udp src and dst port 5353",
	"portrange 1000-2000", "tcp dst portrange 1-1024", "portrange 40000-65535",
	"host 192.0.2.10", "host 192.168.1.10 or 93.184.216.34",
	"src host 192.0.2.10 and dst host 198.51.100.20",
	"dst host 93.184.216.34 and tcp",
	"ip host 192.0.2.1", "arp host 192.0.2.1", "rarp host 192.0.2.1",
	"net 192.168.0.0/16", "src net 10.0.0.0 mask 255.0.0.0", "net 192.0.2", "net 10",
	"host 192.0.2", "src or dst net 198.51.100.0/24",
	"dst net 2001:db8::/32", "host 2001:db8::10", "ip6 net 2001:db8:1::/48 and tcp",
	"ip6 src host 2001:db8::10 or ip6 dst 2001:db8::10",
	"ether host 02:00:c0:00:02:0a", "ether src 02:00:c0:a8:01:0a or ether dst ff:ff:ff:ff:ff:ff",
	"ether src and dst 02:00:c0:00:02:0a",
	"ether proto \\arp", "ether proto 0x86dd", "ether proto 0x42", "ether proto \\ip",
	"vlan", "vlan 100", "vlan and tcp port 80", "vlan 200 and vlan 300", "vlan or arp",
	"not vlan and ip", "vlan 100 or vlan 300",
	"proto 17", "ip proto \\tcp", "ip6 proto 6", "ip proto 1", "ip6 proto \\ipv6-icmp",
	"less 100", "greater 1000", "len >= 60 and len < 128", "len - 14 > ip[2:2]",
	"tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not tcp[tcpflags] & tcp-ack != 0",
	"tcp[13] = 0x12", "tcp[tcpflags] & tcp-rst != 0 or tcp[tcpflags] == tcp-push|tcp-ack",
	"ip[6:2] & 0x1fff != 0", "ip[2:2] > 576", "ip[0] & 0xf != 5",
	"icmp[icmptype] = icmp-echo or icmp[icmptype] = icmp-echoreply",
	"icmp6[icmp6type] = icmp6-echo", "icmp6 and ip6[40] = 135",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0",
	"ip6[6] = 6", "ip6 and not ip6[6] = 6", "ether[12:2] = 0x0800 and ip[9] = 6",
	"udp[8:4] = 0", "udp[0:2] + udp[2:2] > 1000", "tcp[0:2] * 2 / 2 = 80",
	"ip[0] % 16 + 1 = 6", "ip[9] ^ 2 = 4", "-ip[9] + 7 = 1", "ip[9] - 1 = 5",
	"ip[0] & 0xf0 >> 4 = 4", "ip[9] | 1 = 7 and ip[9] & 1 = 0",
	"not tcp and not udp", "not (port 80 or port 443)",
	"tcp and (port 80 or 443) and not host 10.0.0.1",
	"! tcp || udp && port 53", "tcp or udp and port 53",
	"host 192.168.1.10 and (port 80 or port 51234) or arp",
	"host 192.0.2.10 and not 198.51.100.7", "port 80 and (tcp) or 443",
	"tcp[2:2] > 1023 and tcp[0:2] < 1024", "link[0] & 1 = 1",
}

// TestAgainstTcpdump checks that every expression keeps exactly the frames
// "tcpdump -r FILE -w - EXPR" keeps, on the crafted zoo, on every capture in
// testdata/pcaps and, with TCPFLOW_CORPUS, on every capture of the corpus.
//
// Frames are compared by identity, not content: the frames of each link
// type of a source are written to a temporary classic pcap whose record i
// is stamped i seconds, so the timestamps of the records tcpdump writes
// name the frames it kept. This also lets tcpdump judge the frames of
// pcapng files with several link types, which libpcap refuses to read
// ("an interface has a type 101 different from the type of the first
// interface"): each link type gets its own file. Link types 12 and 14 (raw
// IP on some systems) are written as 101, LINKTYPE_RAW, which is what the
// filter takes them for. When tcpdump refuses an expression for a link type
// (vlan on Linux SLL, ether host on raw IP), the filter must refuse it too.
func TestAgainstTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed: install it (apt-get install tcpdump) to compare the filters with libpcap's")
	}
	sources := map[string]func() ([]frame, error){}
	for name, frames := range zooSources(t) {
		sources[name] = func() ([]frame, error) { return frames, nil }
	}
	add := func(dir, prefix string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			n := e.Name()
			if strings.Contains(n, ".pcap") {
				path := filepath.Join(dir, n)
				sources[prefix+n] = func() ([]frame, error) { return readCapture(path) }
			}
		}
	}
	add("../../testdata/pcaps", "testdata/")
	if dir := corpus.Optional(t, "comparing on the zoo and testdata only"); dir != "" {
		add(dir, "corpus/")
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	compiled := make([]*Filter, len(differential))
	for i, expr := range differential {
		if compiled[i], err = Compile(expr); err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			frames, err := sources[name]()
			if err != nil {
				t.Logf("read up to a fault: %v", err)
			}
			byLink := map[layers.LinkType][]int{}
			for i, f := range frames {
				if _, ok := linkKinds[f.link]; ok && len(f.data) <= DefaultSnaplen {
					byLink[f.link] = append(byLink[f.link], i)
				}
			}
			if len(byLink) == 0 {
				t.Skip("no frame of a link type the filter compiles for")
			}
			for link, idx := range byLink {
				file := filepath.Join(t.TempDir(), "frames.pcap")
				if err := writeIndexed(file, link, frames, idx); err != nil {
					t.Fatal(err)
				}
				for i := range differential {
					compareWithTcpdump(t, tcpdump, file, compiled[i], link, frames, idx, strings.HasPrefix(name, "zoo-"))
				}
			}
		})
	}
}

// writeIndexed writes the frames idx (all of one link type) to a classic
// pcap, record i stamped i seconds after the epoch.
func writeIndexed(file string, link layers.LinkType, frames []frame, idx []int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w := pcapgo.NewWriter(bw)
	fileLink := link
	if link == 12 || link == 14 {
		fileLink = layers.LinkTypeRaw
	}
	if err := w.WriteFileHeader(DefaultSnaplen, fileLink); err != nil {
		return err
	}
	for i, j := range idx {
		fr := frames[j]
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(fr.data), Length: fr.wirelen}
		if err := w.WritePacket(ci, fr.data); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// compareWithTcpdump runs tcpdump with one expression on the file and
// compares the frames it keeps with those the filter keeps.
//
// On a difference it also asks tcpdump for libpcap's program (-ddd) and
// runs it in this package's interpreter: that must give tcpdump's answer
// (a check of the interpreter). libpcap's optimizer reorders and drops
// tests (see merge), which can change the answer on a frame the snap length
// cut inside the headers tested; when tolerateCut is set (the zoo, whose
// frames are cut at every header boundary on purpose), a difference is
// tolerated, and logged, when one of the two programs stopped at a load past
// the captured bytes. On real captures no difference is tolerated.
func compareWithTcpdump(t *testing.T, tcpdump, file string, f *Filter, link layers.LinkType,
	frames []frame, idx []int, tolerateCut bool) {
	t.Helper()
	cmd := exec.Command(tcpdump, "-n", "-r", file, "-w", "-", "--", f.String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	prog, err := f.For(link)
	if runErr != nil && strings.Contains(stderr.String(), "expression rejects all packets") {
		// libpcap's optimizer refuses a program that can only reject.
		runErr = nil
		stdout.Reset()
		stdout.Write(emptyPcap(link))
	}
	if runErr != nil {
		if err == nil {
			t.Errorf("%s: tcpdump refuses %q (%v: %s) but the filter compiles it",
				linkName(link), f, runErr, strings.TrimSpace(stderr.String()))
		}
		return
	}
	if err != nil {
		t.Errorf("%s: the filter refuses %q (%v) but tcpdump takes it", linkName(link), f, err)
		return
	}
	theirs := map[int]bool{}
	r, err := pcapgo.NewReader(&stdout)
	if err != nil {
		t.Fatalf("tcpdump %q wrote no pcap: %v (%s)", f, err, stderr.String())
	}
	for {
		_, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading tcpdump's output for %q: %v", f, err)
		}
		theirs[int(ci.Timestamp.Unix())] = true
	}
	var libpcap []vmIns
	if tolerateCut {
		// The zoo is small: check the interpreter on every frame.
		libpcap = libpcapProgram(t, tcpdump, file, f.String())
		for i, j := range idx {
			fr := frames[j]
			if ret, _ := run(libpcap, fr.data, uint32(fr.wirelen)); (ret != 0) != theirs[i] {
				t.Errorf("%s frame %d: libpcap's program for %q run by the interpreter gives %v, tcpdump %v",
					linkName(link), j+1, f, ret != 0, theirs[i])
			}
		}
	}
	bad := 0
	for i, j := range idx {
		fr := frames[j]
		ret, cut := run(prog.code, fr.data, uint32(fr.wirelen))
		ours := ret != 0
		if ours == theirs[i] {
			continue
		}
		if libpcap == nil {
			libpcap = libpcapProgram(t, tcpdump, file, f.String())
		}
		lret, lcut := run(libpcap, fr.data, uint32(fr.wirelen))
		if (lret != 0) != theirs[i] {
			t.Errorf("%s frame %d: libpcap's program for %q run by the interpreter gives %v, tcpdump %v",
				linkName(link), j+1, f, lret != 0, theirs[i])
		}
		if tolerateCut && (cut || lcut) {
			cutDiffs.Add(1)
			t.Logf("cut %s frame %d (%d of %d bytes): filter %q keeps it: %v, tcpdump: %v",
				linkName(link), j+1, len(fr.data), fr.wirelen, f, ours, theirs[i])
			continue
		}
		if bad++; bad <= 3 {
			t.Errorf("%s frame %d (%d of %d bytes): filter %q keeps it: %v, tcpdump: %v\n%x",
				linkName(link), j+1, len(fr.data), fr.wirelen, f, ours, theirs[i], head(fr.data, 80))
		}
	}
	if bad > 3 {
		t.Errorf("... %d frames differ for %q on %s", bad, f, linkName(link))
	}
}

// libpcapProgram returns the program libpcap compiles for expr on file
// (tcpdump -ddd: a count, then "code jt jf k" per line).
func libpcapProgram(t *testing.T, tcpdump, file, expr string) []vmIns {
	t.Helper()
	cmd := exec.Command(tcpdump, "-r", file, "-ddd", "--", expr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "expression rejects all packets") {
		return []vmIns{{op: vRetK}}
	}
	if err != nil {
		t.Fatalf("tcpdump -ddd %q: %v (%s)", expr, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var prog []bpf.RawInstruction
	for _, l := range lines[1:] {
		var ins bpf.RawInstruction
		if _, err := fmt.Sscan(l, &ins.Op, &ins.Jt, &ins.Jf, &ins.K); err != nil {
			t.Fatalf("tcpdump -ddd %q: line %q: %v", expr, l, err)
		}
		prog = append(prog, ins)
	}
	code, err := decode(prog)
	if err != nil {
		t.Fatalf("tcpdump -ddd %q: %v", expr, err)
	}
	return code
}

var cutDiffs atomic.Int64

// emptyPcap is a pcap file with no record.
func emptyPcap(link layers.LinkType) []byte {
	var b bytes.Buffer
	_ = pcapgo.NewWriter(&b).WriteFileHeader(DefaultSnaplen, link)
	return b.Bytes()
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// readCapture reads every frame of a pcap or pcapng file, gzip-compressed
// or not; on a fault it returns the frames before it with the error.
func readCapture(path string) ([]frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		r = bufio.NewReader(gz)
	}
	b := bufio.NewReader(r)
	magic, err := b.Peek(4)
	if err != nil {
		return nil, err
	}
	var next func() ([]byte, gopacket.CaptureInfo, error)
	var fixed layers.LinkType
	if binary.LittleEndian.Uint32(magic) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(b, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, err
		}
		next = ng.ReadPacketData
	} else {
		pr, err := pcapgo.NewReader(b)
		if err != nil {
			return nil, err
		}
		next, fixed = pr.ReadPacketData, pr.LinkType()
	}
	var frames []frame
	for {
		data, ci, err := next()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, fmt.Errorf("frame %d: %w", len(frames)+1, err)
		}
		link := fixed
		if len(ci.AncillaryData) > 0 {
			if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				link = l
			}
		}
		frames = append(frames, frame{link, data, ci.Length})
	}
}

// syntax are expressions whose parsing is subtle: qualifier repetition after
// parentheses and negations, directions, arithmetic precedence (% and ^ take
// everything after them), number and address forms.
var syntax = []string{
	"host 192.0.2.10 and (port 80) or 198.51.100.20",
	"(tcp) or host 192.0.2.10 and 198.51.100.20",
	"not host 192.0.2.10 and 198.51.100.20",
	"host 192.0.2.10 and not 198.51.100.20",
	"host 192.0.2.10 or (198.51.100.20 or 203.0.113.1)",
	"host 192.0.2.10 and (tcp) or 198.51.100.20",
	"host 192.0.2.10 and (tcp or 198.51.100.20)",
	"(host 192.0.2.10) or 198.51.100.20",
	"host 192.0.2.10 and tcp or 198.51.100.20",
	"port (80 or 443)", "port ((80))", "port 80 and 443", "proto (17)",
	"tcp dst port 80 or 51234", "tcp src port 80 or dst port 80",
	"src or dst port 80", "dst and src port 80", "dst or src host 192.0.2.10",
	"src 192.0.2.10", "src net 192.0.2", "dst 2001:db8:1::20", "ip src 192.0.2.10", "arp src 192.0.2.10",
	"ip proto 6 or 17", "ether proto 0x800 or 0x86dd", "ip6 proto \\tcp",
	"ether src 02:00:c0:00:02:0a or 02:00:c0:00:02:01", "ether host 0200.c000.020a",
	"ether host 02-00-c0-00-02-0a", "ether host 0200c000020a", "ether host 2:0:c0:0:2:a",
	"net 192.0.2.0/24 or 198.51.100.0/24", "net 192.0.2.0 mask 255.255.255.0 or 198.51.100.0 mask 255.255.255.0",
	"ip6 host 2001:db8::10 or 2001:db8:1::20", "host ::ffff:192.0.2.10",
	"vlan (100)", "vlan and vlan 300", "less (60)", "len > 100 or len < 60", "greater 60 and less 80",
	"udp and 53", "udp port 53 and not (src host 192.0.2.10)",
	"ip[0] % 16 + 1 = 6", "ip[9] ^ 2 + 4 = 0", "ip[0] & 0xf * 4 = 20", "2 + 3 * 4 = 14 and tcp",
	"ip[9] * 2 % 5 = 2", "ip[9] - 1 - 1 = 4", "ip[9] / 2 / 3 = 1", "ip[0] >> 4 << 4 = 64",
	"len = len", "ip[ip[0] & 0xf] = 0", "(ip[9]) = 6", "((ip[9] = 6))", "(ip[9] + 1) * 2 = 14",
	"icmp[0] = 8 or icmp6[0] = 128", "not not tcp", "!!tcp", "tcp && !udp || arp",
	"ip[2:2]>=60&&ip[2:2]<=100", "tcp[13]&0x12=0x12", "ip[0]&0xf!=5", "ether[0]&1=1",
	"port 0x50", "port 0120", "host 192.0.2.010", "portrange 80-80 or 443-443",
	"portrange 80", "tcp portrange 443-80", "ip[9] == 6", "tcp[tcpflags] & tcp-ack == tcp-ack",
	"icmp6[icmp6type] != icmp6-echo and icmp6", "ip[0:4] & 0xf0000000 = 0x40000000",
	"ip[1+1:2] > 40", "ip6[4:2] + 40 = len - 14", "- - ip[9] = 6", "-(ip[9]) = -6",
}

// TestSyntaxAgainstTcpdump checks that tcpdump and the filter take or
// refuse the same subtle expressions (compiled for Ethernet), and that
// those taken keep the same frames of the Ethernet zoos.
func TestSyntaxAgainstTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed: install it (apt-get install tcpdump) to compare the filters with libpcap's")
	}
	type source struct {
		file   string
		frames []frame
		idx    []int
	}
	var sources []source
	zoos := zooSources(t)
	for _, name := range []string{"zoo-Ethernet", "zoo-802.1Q", "zoo-QinQ"} {
		frames := zoos[name]
		idx := make([]int, len(frames))
		for i := range idx {
			idx[i] = i
		}
		file := filepath.Join(t.TempDir(), "frames.pcap")
		if err := writeIndexed(file, layers.LinkTypeEthernet, frames, idx); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, source{file, frames, idx})
	}
	for _, expr := range syntax {
		cmd := exec.Command(tcpdump, "-d", "-y", "EN10MB", "--", expr)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		theirErr := cmd.Run()
		f, ourErr := Compile(expr)
		if ourErr == nil {
			_, ourErr = f.For(layers.LinkTypeEthernet)
		}
		switch {
		case theirErr != nil && ourErr != nil:
			continue
		case theirErr != nil:
			t.Errorf("%q: tcpdump refuses it (%s), the filter takes it", expr, strings.TrimSpace(stderr.String()))
			continue
		case ourErr != nil:
			t.Errorf("%q: the filter refuses it (%v), tcpdump takes it", expr, ourErr)
			continue
		}
		for _, s := range sources {
			compareWithTcpdump(t, tcpdump, s.file, f, layers.LinkTypeEthernet, s.frames, s.idx, true)
		}
	}
}
