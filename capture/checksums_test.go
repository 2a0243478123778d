package capture

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestChecksumsAgainstTshark compares every segment's checksum statuses with
// tshark's own verification (tcp.check_checksum and ip.check_checksum on)
// over the corpus: right where tshark says good, wrong or left to offload
// where it says bad (tshark does not tell the two apart), unverified where
// it could not check.
func TestChecksumsAgainstTshark(t *testing.T) {
	dir := os.Getenv("TCPFLOW_CORPUS")
	if dir == "" {
		t.Skip("TCPFLOW_CORPUS not set")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	if _, err := exec.LookPath("mergecap"); err != nil {
		t.Skip("mergecap not installed")
	}
	// Captures with every kind of checksum: offload on loopback (IPv4 and
	// IPv6), segmentation offload (pseudo-header sum without the length),
	// zeros, wrong ones, tunnels, fragments, MPTCP options. One tshark run
	// over all of them (mergecap -a numbers frames as tcpflow numbers
	// several inputs).
	var paths []string
	for _, name := range []string{
		"suricata__http-range-multiflows__input.pcap", "suricata__poc2.pcap", "ndpi__tls_heur__shadowsocks-tcp.pcapng",
		"gopacket__test_loopback.pcap", "chrissanders__mail_sender_attachment.pcapng", "zeek__retransmit-fast009.pcap",
		"arkime__twovlan.pcap", "zeek__mixed-vlan-mpls.pcap", "pcapplusplus__one_http_stream_fin.pcap",
		"ndpi__http_asymmetric.pcapng", "pcapplusplus__raw_ip.pcap", "arkime__gre-erspan-vxlan.pcap",
		"zeek__vxlan-encapsulated-http.pcap", "pcapplusplus__frag_http_req.pcap", "zeek__ipv6-http-atomic-frag.pcap",
		"tcpdump__mptcp-v1.pcap", "ndpi__sites.pcapng",
		"arkime__tcpseq_synthetic.pcap", "suricata__bug-5437-02__input.pcap",
	} {
		paths = append(paths, filepath.Join(dir, name))
	}
	paths = append(paths, filepath.Join(testdata, "loopback.pcap"), filepath.Join(testdata, "tunnels.pcap"), filepath.Join(testdata, "damaged.pcap"))
	merged := filepath.Join(t.TempDir(), "merged.pcapng")
	if out, err := exec.Command("mergecap", append([]string{"-a", "-w", merged}, paths...)...).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v\n%s", err, out)
	}
	out, err := exec.Command("tshark", "-n", "-r", merged, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-Y", "tcp", "-T", "fields", "-E", "occurrence=l", "-e", "frame.number", "-e", "tcp.checksum.status", "-e", "ip.checksum.status").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	theirs := map[uint64][2]string{}
	for _, line := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		n, _ := strconv.ParseUint(f[0], 10, 64)
		theirs[n] = [2]string{f[1], f[2]}
	}
	r := NewReader(paths...)
	r.InOrder = true // numbered as mergecap -a numbers them
	defer r.Close()
	var seg Segment
	var n, unfilled, bad int
	for {
		err := r.Next(&seg)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		th, ok := theirs[seg.Frame]
		if seg.Quoted || seg.BadHeader || !ok {
			continue
		}
		n++
		if seg.TCPChecksum == ChecksumUnfilled {
			unfilled++
		}
		if !sameStatus(seg.TCPChecksum, tsharkStatus(th[0])) {
			if bad++; bad <= 5 {
				t.Errorf("%s frame %d: TCP checksum %v, tshark %q", r.Inputs[seg.File].Name, seg.Frame, seg.TCPChecksum, th[0])
			}
		}
		if seg.IPChecksum != ChecksumNone && !sameStatus(seg.IPChecksum, tsharkStatus(th[1])) {
			if bad++; bad <= 5 {
				t.Errorf("%s frame %d: IP checksum %v, tshark %q", r.Inputs[seg.File].Name, seg.Frame, seg.IPChecksum, th[1])
			}
		}
	}
	t.Logf("%d segments compared, %d with TCP checksums left to offload, %d differences", n, unfilled, bad)
	if n < 1000 || unfilled < 500 {
		t.Errorf("only %d segments compared, %d left to offload: the comparison lost its captures", n, unfilled)
	}
}

// tsharkStatus maps tshark's checksum.status (0 bad, 1 good, 2 unverified).
func tsharkStatus(s string) ChecksumStatus {
	switch s {
	case "0":
		return ChecksumBad
	case "1":
		return ChecksumGood
	}
	return ChecksumUnverified
}

func sameStatus(ours, theirs ChecksumStatus) bool {
	if ours == ChecksumUnfilled {
		ours = ChecksumBad
	}
	return ours == theirs
}
