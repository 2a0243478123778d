//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// The live tests capture in network namespaces of their own: A and B joined
// by a veth pair (veth0 in A, 10.9.0.1, and veth1 in B, 10.9.0.2), IPv6 off
// and static neighbours, so that nothing but the scripted traffic crosses
// the link. The client runs in A and the servers in B, in this process (a
// locked thread moved into the namespace creates each socket); tcpflow
// (this test binary, see TestMain) and tcpdump run in A as processes of
// their own. No packet leaves the namespaces.
//
// VLAN-tagged frames are written raw into veth1 (kernels without the 8021q
// module cannot make VLAN interfaces): arriving on veth0, the kernel takes
// their tag off before any packet socket sees them, as network cards do,
// so the capture has to put it back.

const (
	addrA, addrB = "10.9.0.1", "10.9.0.2"
	macA, macB   = "02:00:5e:10:00:01", "02:00:5e:10:00:02"
	portEcho     = 7001 // echoes, then closes after the client
	portReset    = 7002 // reads 1000 bytes, then resets the connection
	portRefused  = 7009 // nothing listens
	portVLAN     = 7003 // tagged frames written raw, VLAN 100 and 200
)

// liveEnv is the namespace pair of one test.
type liveEnv struct {
	a, b string
}

// requireLive skips the test unless it can make network namespaces.
func requireLive(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("live capture tests are skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root: network namespaces (CAP_SYS_ADMIN) and packet sockets (CAP_NET_RAW); CI runs them")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("live capture tests need ip (iproute2)")
	}
	probe := fmt.Sprintf("tcpflow-probe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("live capture tests need ip netns: %v: %s", err, out)
	}
	exec.Command("ip", "netns", "del", probe).Run()
}

var nsSeq int

// newLiveEnv makes the two namespaces and the link; they go at the end of
// the test.
func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	requireLive(t)
	nsSeq++
	e := &liveEnv{a: fmt.Sprintf("tcpflow-%d-%d-a", os.Getpid(), nsSeq), b: fmt.Sprintf("tcpflow-%d-%d-b", os.Getpid(), nsSeq)}
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{e.a, e.b} {
		sh("ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sh("ip", "netns", "exec", ns, "sh", "-c", "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6")
		sh("ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh("ip", "-n", e.a, "link", "add", "veth0", "address", macA, "type", "veth", "peer", "name", "veth1", "address", macB, "netns", e.b)
	for _, s := range []struct{ ns, dev, addr, peer, mac string }{
		{e.a, "veth0", addrA, addrB, macB},
		{e.b, "veth1", addrB, addrA, macA},
	} {
		sh("ip", "-n", s.ns, "addr", "add", s.addr+"/24", "dev", s.dev)
		sh("ip", "-n", s.ns, "link", "set", s.dev, "up")
		sh("ip", "-n", s.ns, "neigh", "replace", s.peer, "lladdr", s.mac, "dev", s.dev, "nud", "permanent")
	}
	return e
}

// inNetns runs f on a thread moved into the namespace ns: the sockets it
// creates live there. The thread is never given back (it ends with the
// goroutine), so no other goroutine runs in the namespace.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// serve listens on addr in namespace ns and hands each connection to
// handle, until the end of the test.
func serve(t *testing.T, ns, addr string, handle func(net.Conn)) {
	t.Helper()
	var l net.Listener
	if err := inNetns(ns, func() (err error) {
		l, err = net.Listen("tcp4", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
}

// echoConn sends back what it reads, and closes after the peer.
func echoConn(c net.Conn) {
	defer c.Close()
	io.Copy(c, c)
}

// servers starts the echo and reset servers in B.
func (e *liveEnv) servers(t *testing.T) {
	t.Helper()
	serve(t, e.b, net.JoinHostPort(addrB, strconv.Itoa(portEcho)), echoConn)
	serve(t, e.b, net.JoinHostPort(addrB, strconv.Itoa(portReset)), func(c net.Conn) {
		io.ReadFull(c, make([]byte, 1000))
		c.(*net.TCPConn).SetLinger(0) // close with a RST
		c.Close()
	})
}

// dial connects from namespace ns.
func dial(ns, addr string) (*net.TCPConn, error) {
	var c net.Conn
	err := inNetns(ns, func() (err error) {
		c, err = net.DialTimeout("tcp4", addr, 5*time.Second)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// dialA connects from A.
func (e *liveEnv) dialA(addr string, port int) (*net.TCPConn, error) {
	return dial(e.a, net.JoinHostPort(addr, strconv.Itoa(port)))
}

// echo sends n bytes to the echo server at addr, half-closes, and reads
// them back.
func (e *liveEnv) echo(t *testing.T, addr string, port, n int) {
	t.Helper()
	c, err := e.dialA(addr, port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("tcpflow live "), n/13+1)[:n]
	go func() {
		c.Write(msg)
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo from %s:%d: %d bytes back of %d, %v", addr, port, len(got), n, err)
	}
}

// tagged writes raw VLAN-tagged TCP segments from B to A: a handshake's
// first two segments on VLAN 100 (with a priority) and one on VLAN 200.
func (e *liveEnv) tagged(t *testing.T) {
	t.Helper()
	ma, _ := net.ParseMAC(macA)
	mb, _ := net.ParseMAC(macB)
	var frames [][]byte
	for i, tag := range []struct {
		vlan uint16
		prio uint8
		port layers.TCPPort
		syn  bool
	}{{100, 5, portVLAN, true}, {100, 5, portVLAN, false}, {200, 0, portVLAN + 1, true}} {
		eth := &layers.Ethernet{SrcMAC: mb, DstMAC: ma, EthernetType: layers.EthernetTypeDot1Q}
		q := &layers.Dot1Q{VLANIdentifier: tag.vlan, Priority: tag.prio, Type: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.ParseIP("10.9.1.2").To4(), DstIP: net.ParseIP("10.9.1.1").To4(), Id: uint16(i + 1)}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: tag.port, Seq: 1000, SYN: tag.syn, ACK: !tag.syn, Ack: 1, Window: 64240}
		tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, q, ip, tcp, gopacket.Payload(bytes.Repeat([]byte{'v'}, 10*i)))
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, buf.Bytes())
	}
	err := inNetns(e.b, func() error {
		ifc, err := net.InterfaceByName("veth1")
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		for _, f := range frames {
			if err := unix.Sendto(fd, f, 0, &unix.SockaddrLinklayer{Ifindex: ifc.Index}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("writing tagged frames: %v", err)
	}
}

// chat sends n short messages to the echo server, one at a time, each
// read back before the next: about 3n frames.
func (e *liveEnv) chat(t *testing.T, n int) {
	t.Helper()
	c, err := e.dialA(addrB, portEcho)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 5)
	for i := range n {
		msg := fmt.Appendf(nil, "%05d", i)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, msg) {
			t.Fatalf("chat message %d: %q, %v", i, buf, err)
		}
	}
}

// traffic is the scripted exchange: an echo, a refused connection, a
// connection reset in the middle of its stream, and tagged frames.
func (e *liveEnv) traffic(t *testing.T) {
	t.Helper()
	e.echo(t, addrB, portEcho, 20000)
	if _, err := e.dialA(addrB, portRefused); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connecting to a closed port: %v, want connection refused", err)
	}
	c, err := e.dialA(addrB, portReset)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Repeat([]byte("x"), 500)
	deadline := time.Now().Add(5 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = c.Write(buf)
		time.Sleep(2 * time.Millisecond)
	}
	c.Close()
	if err == nil {
		t.Fatal("the reset server's connection was not reset")
	}
	e.tagged(t)
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a process run in a namespace.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	code           int
}

// startIn starts a command in namespace ns; "tcpflow" is this binary as
// tcpflow.
func startIn(t *testing.T, ns string, name string, args ...string) *proc {
	t.Helper()
	path := name
	if name == "tcpflow" {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		path = exe
	}
	p := &proc{name: name + " " + strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns, path}, args...)...)
	p.cmd.Env = append(os.Environ(), "TCPFLOW_AS_MAIN=1")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitStderr waits until the process's stderr matches re.
func (p *proc) waitStderr(t *testing.T, re string) {
	t.Helper()
	p.waitOutput(t, &p.stderr, re)
}

func (p *proc) waitOutput(t *testing.T, b *syncBuffer, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if rx.MatchString(b.String()) {
			return
		}
		select {
		case <-p.done:
			if rx.MatchString(b.String()) {
				return
			}
			t.Fatalf("%s exited with %d before printing %q\nstdout:\n%s\nstderr:\n%s", p.name, p.code, re, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not print %q\nstdout:\n%s\nstderr:\n%s", p.name, re, p.stdout.String(), p.stderr.String())
}

// stop signals the process and waits for it; it returns the exit code.
func (p *proc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	return p.wait(t)
}

func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not end\nstderr:\n%s", p.name, p.stderr.String())
	}
	return p.code
}

// frame is a captured frame as a file holds it.
type frame struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// readFrames reads a pcap or pcapng file, as far as it is written.
func readFrames(path string) ([]frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	if strings.HasSuffix(path, ".pcapng") {
		src, err = pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	} else {
		src, err = pcapgo.NewReader(f)
	}
	if err != nil {
		return nil, err
	}
	var out []frame
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, frame{ci, data})
	}
}

// settle waits until each pair of capture files holds the same number of
// frames, unchanged since the last look: both captures have written out
// everything the traffic made.
func settle(t *testing.T, pairs ...[2]string) {
	t.Helper()
	last := map[string]int{}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		ok := true
		for _, p := range pairs {
			for _, f := range p {
				fr, _ := readFrames(f)
				if n, seen := last[f]; !seen || n != len(fr) {
					ok = false
				}
				last[f] = len(fr)
			}
			if last[p[0]] != last[p[1]] || last[p[0]] == 0 {
				ok = false
			}
		}
		if ok {
			return
		}
	}
	for _, p := range pairs {
		if last[p[0]] != last[p[1]] {
			for _, f := range p {
				out, _ := exec.Command("tcpdump", "-nn", "-e", "-r", f).CombinedOutput()
				t.Logf("%s:\n%s", f, out)
			}
		}
	}
	t.Fatalf("the captures did not settle to the same frame counts: %v", last)
}

// stopReference stops the reference tcpdump td writing file and returns the
// frames it says the kernel dropped. It first waits until file holds want
// frames or has not grown for a second: on a loaded machine tcpdump may
// still be writing what its buffer holds (settle saw its file pause, not
// end), and an interrupt ends it without draining the buffer.
func stopReference(t *testing.T, td *proc, file string, want int) int {
	t.Helper()
	for n, still := -1, 0; still < 10; time.Sleep(100 * time.Millisecond) {
		fr, _ := readFrames(file)
		if len(fr) >= want {
			break
		}
		if len(fr) == n {
			still++
		} else {
			n, still = len(fr), 0
		}
	}
	td.stop(t, os.Interrupt)
	m := kernelDrops.FindStringSubmatch(td.stderr.String())
	if m == nil {
		t.Fatalf("tcpdump did not say what it dropped:\n%s", td.stderr.String())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// kernelDrops finds the count of frames the kernel dropped in what tcpdump
// and tcpflow print.
var kernelDrops = regexp.MustCompile(`(?m)([0-9]+) packets? dropped by kernel`)

// sameFrames fails unless two capture files hold the same frames, byte for
// byte, with the same lengths, and returns how many and whether they come in
// the same order (see below).
func sameFrames(t *testing.T, ours, theirs string) (n int, sameOrder bool) {
	t.Helper()
	a, err := readFrames(ours)
	if err != nil {
		t.Fatalf("%s: %v", ours, err)
	}
	b, err := readFrames(theirs)
	if err != nil {
		t.Fatalf("%s: %v", theirs, err)
	}
	if len(a) != len(b) {
		t.Fatalf("%s has %d frames, %s %d", ours, len(a), theirs, len(b))
	}
	// Two sockets on a veth may see the two directions interleaved in a
	// different order when the machine is loaded: compare each direction's
	// frames in order (a frame's first 12 bytes are its MAC addresses).
	dirOf := func(f frame) string { return string(f.data[:min(12, len(f.data))]) }
	byDir := func(fs []frame) map[string][]frame {
		m := map[string][]frame{}
		for _, f := range fs {
			m[dirOf(f)] = append(m[dirOf(f)], f)
		}
		return m
	}
	da, db := byDir(a), byDir(b)
	for d, fa := range da {
		fb := db[d]
		if len(fa) != len(fb) {
			t.Fatalf("%s has %d frames one way, %s %d", ours, len(fa), theirs, len(fb))
		}
		for i := range fa {
			if !bytes.Equal(fa[i].data, fb[i].data) || fa[i].ci.Length != fb[i].ci.Length {
				t.Fatalf("frame %d one way differs:\n%s (length %d)\n% x\n%s (length %d)\n% x", i+1, ours, fa[i].ci.Length, fa[i].data[:min(64, len(fa[i].data))], theirs, fb[i].ci.Length, fb[i].data[:min(64, len(fb[i].data))])
			}
		}
	}
	sameOrder = true
	for i := range a {
		sameOrder = sameOrder && bytes.Equal(a[i].data, b[i].data)
	}
	return len(a), sameOrder
}

// runTCPFlow runs tcpflow in this process and returns its stdout.
func runTCPFlow(t *testing.T, want int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, nil, &stdout, &stderr); code != want {
		t.Fatalf("tcpflow %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), code, want, stderr.String())
	}
	return stdout.String()
}

// reportParts is what must agree between two JSON reports of the same
// frames: the connections, the expert summary, the frame counts.
func reportParts(t *testing.T, doc string) map[string]any {
	t.Helper()
	var v struct {
		Capture struct {
			Frames    map[string]any `json:"frames"`
			LinkTypes any            `json:"link_types"`
			FirstTime string         `json:"first_time"`
		} `json:"capture"`
		Expert      any `json:"expert"`
		Connections any `json:"connections"`
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, doc)
	}
	return map[string]any{"frames": v.Capture.Frames, "link_types": v.Capture.LinkTypes, "first_time": v.Capture.FirstTime,
		"expert": v.Expert, "connections": v.Connections}
}

// TestLiveMatchesTcpdump captures the scripted traffic with tcpflow and
// tcpdump at the same time, on the veth and on "any", with and without
// filters: each pair of files must hold the same frames, and the live
// report must be the report of the file it wrote, which must pass tcpflow
// check against tcpdump's file.
//
// On "any" a length test is where tcpdump's live filter and its file filter
// disagree (the kernel does not count the cooked header): tcpflow's live
// filter keeps what the filter keeps in a file, so that one's reference is
// tcpdump -r over tcpdump's unfiltered capture.
func TestLiveMatchesTcpdump(t *testing.T) {
	requireLive(t)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed: it is the reference")
	}
	e := newLiveEnv(t)
	e.servers(t)
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	type capturePair struct {
		name, iface, filter string
		offline             string // the reference is tcpdump -r over that pair's tcpdump file
		ours, theirs        *proc
	}
	pairs := []*capturePair{
		{name: "all", iface: "veth0"},
		{name: "port", iface: "veth0", filter: "tcp port " + strconv.Itoa(portEcho)},
		{name: "vlan", iface: "veth0", filter: "vlan 100 and tcp port " + strconv.Itoa(portVLAN)},
		{name: "any", iface: "any"},
		{name: "any-port", iface: "any", filter: "tcp port " + strconv.Itoa(portReset)},
		{name: "any-len", iface: "any", filter: "greater 80", offline: "any"},
	}
	for _, p := range pairs {
		args := []string{"-i", p.iface, "-w", out(p.name + ".pcap"), "--format", "json"}
		tdArgs := []string{"-i", p.iface, "-w", out(p.name + "-tcpdump.pcap"), "-U", "--immediate-mode", "-B", "32768"}
		if p.filter != "" {
			args = append(args, strings.Fields(p.filter)...)
			tdArgs = append(tdArgs, strings.Fields(p.filter)...)
		}
		p.ours = startIn(t, e.a, "tcpflow", args...)
		if p.offline == "" {
			p.theirs = startIn(t, e.a, "tcpdump", tdArgs...)
		}
	}
	for _, p := range pairs {
		p.ours.waitStderr(t, "listening on")
		if p.theirs != nil {
			p.theirs.waitStderr(t, "listening on")
		}
	}
	e.traffic(t)
	var files [][2]string
	for _, p := range pairs {
		if p.offline == "" {
			files = append(files, [2]string{out(p.name + ".pcap"), out(p.name + "-tcpdump.pcap")})
		} else {
			files = append(files, [2]string{out(p.name + ".pcap"), out(p.name + ".pcap")})
		}
	}
	settle(t, files...)
	for _, p := range pairs {
		if code := p.ours.stop(t, os.Interrupt); code != 0 {
			t.Errorf("%s: exit %d after Ctrl-C\nstderr:\n%s", p.ours.name, code, p.ours.stderr.String())
		}
		if p.theirs == nil {
			continue
		}
		p.theirs.stop(t, os.Interrupt)
		if !regexp.MustCompile(`(?m)^0 packets dropped by kernel`).MatchString(p.theirs.stderr.String()) {
			t.Fatalf("the reference dropped packets:\n%s", p.theirs.stderr.String())
		}
	}
	for _, p := range pairs {
		if p.offline != "" {
			args := append([]string{"-r", out(p.offline + "-tcpdump.pcap"), "-w", out(p.name + "-tcpdump.pcap")}, strings.Fields(p.filter)...)
			if b, err := exec.Command("tcpdump", args...).CombinedOutput(); err != nil {
				t.Fatalf("tcpdump %s: %v\n%s", strings.Join(args, " "), err, b)
			}
		}
	}

	for _, p := range pairs {
		ours, theirs := out(p.name+".pcap"), out(p.name+"-tcpdump.pcap")
		n, sameOrder := sameFrames(t, ours, theirs)
		t.Logf("%s (%s %q): %d frames, the same as tcpdump's (in the same order: %v)", p.name, p.iface, p.filter, n, sameOrder)

		// The live report is the report of the file it wrote.
		live := reportParts(t, p.ours.stdout.String())
		file := reportParts(t, runTCPFlow(t, 0, "--format", "json", ours))
		for k := range live {
			if !reflect.DeepEqual(live[k], file[k]) {
				a, _ := json.MarshalIndent(live[k], "", " ")
				b, _ := json.MarshalIndent(file[k], "", " ")
				t.Errorf("%s: the live report's %s differs from the report of %s:\nlive:\n%s\nfile:\n%s", p.name, k, ours, a, b)
			}
		}
		// And that file tells what tcpdump's does, when both saw the two
		// directions interleaved alike: on a loaded machine the two sockets
		// of "any" may not, and an ACK read before the data it acknowledges
		// is another story (the frames themselves are checked above).
		if !sameOrder {
			t.Logf("%s: the two directions came interleaved differently; the reports are not compared", p.name)
			continue
		}
		golden := out(p.name + ".golden")
		runTCPFlow(t, 0, "check", "--update", "--golden", golden, "--ignore", "time,rtt", theirs)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"check", "--golden", golden, ours}, nil, &stdout, &stderr); code != 0 {
			t.Errorf("%s: tcpflow check --golden (tcpdump's file) %s: exit %d\n%s%s", p.name, ours, code, stdout.String(), stderr.String())
		}
	}

	// What the traffic was: the refused connection and the reset are in it.
	all := runTCPFlow(t, 0, "--summary", out("all.pcap"))
	for _, want := range []string{"refused", "RST by server", "FIN by client", fmt.Sprintf("10.9.1.1:%d", portVLAN)} {
		if !strings.Contains(all, want) {
			t.Errorf("the report of the capture lacks %q:\n%s", want, all)
		}
	}
	if !strings.Contains(pairs[0].ours.stderr.String(), "dropped by kernel") {
		t.Errorf("no count of the kernel's drops on stderr:\n%s", pairs[0].ours.stderr.String())
	}
}

// liveFrames is the frame count in a live report's header.
var liveFrames = regexp.MustCompile(`(?m)^capture (\S+) \(live\): (\d+) frames$`)

// TestLiveStops stops a capture each way it can stop: each leaves a
// complete capture file, that tcpdump reads too, with the frames the report
// counts, and the report with its table. A signal loses nothing: tcpflow is
// frozen (SIGSTOP) while the traffic goes, so that every frame waits in the
// kernel when the signal comes, and all of them must be in the file, the
// frames tcpdump captured.
func TestLiveStops(t *testing.T) {
	e := newLiveEnv(t)
	e.servers(t)
	_, tcpdumpErr := exec.LookPath("tcpdump")
	for _, tc := range []struct {
		name string
		args []string
		sig  os.Signal
		file string
	}{
		{"count", []string{"-c", "10"}, nil, "c.pcap"},
		{"duration", []string{"--duration", "1s"}, nil, "d.pcapng"},
		{"sigint", nil, os.Interrupt, "i.pcapng"},
		{"sigterm", nil, syscall.SIGTERM, "t.pcap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), tc.file)
			p := startIn(t, e.a, "tcpflow", append([]string{"-i", "veth0", "-w", file, "--summary", "--wide"}, tc.args...)...)
			p.waitStderr(t, "listening on veth0")
			var td *proc
			tdFile := filepath.Join(t.TempDir(), "tcpdump.pcap")
			if tc.sig != nil && tcpdumpErr == nil {
				td = startIn(t, e.a, "tcpdump", "-i", "veth0", "-w", tdFile, "-U", "--immediate-mode", "-B", "32768")
				td.waitStderr(t, "listening on")
				p.cmd.Process.Signal(syscall.SIGSTOP)
			}
			for range 3 {
				e.echo(t, addrB, portEcho, 3000)
			}
			if td != nil {
				e.chat(t, 300) // hundreds of frames waiting when the signal comes
			}
			code := 0
			if tc.sig != nil {
				if td != nil {
					settle(t, [2]string{tdFile, tdFile})
				}
				p.cmd.Process.Signal(tc.sig)
				p.cmd.Process.Signal(syscall.SIGCONT)
				code = p.wait(t)
			} else {
				code = p.wait(t)
			}
			out := p.stdout.String()
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, p.stderr.String())
			}
			m := liveFrames.FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "| id |") || !strings.Contains(out, "packets dropped by kernel") {
				t.Fatalf("no report header and table:\n%s", out)
			}
			n, _ := strconv.Atoi(m[2])
			frames, err := readFrames(file)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if len(frames) != n || n == 0 {
				t.Fatalf("%s holds %d frames, the report counts %d", file, len(frames), n)
			}
			if tc.name == "count" && n != 10 {
				t.Fatalf("-c 10 captured %d frames", n)
			}
			if !strings.Contains(p.stderr.String(), fmt.Sprintf("tcpflow: %d packets captured", n)) {
				t.Errorf("stderr does not count the packets:\n%s", p.stderr.String())
			}
			// The report of the file is the live one's.
			if got := runTCPFlow(t, 0, "--summary", file); !strings.Contains(got, fmt.Sprintf("): %d frames", n)) {
				t.Errorf("the report of %s:\n%s", file, got)
			}
			if td != nil {
				dropped, _ := strconv.Atoi(kernelDrops.FindStringSubmatch(out)[1])
				if tdDropped := stopReference(t, td, tdFile, n+dropped); tdDropped > 0 {
					// The reference missed frames (a loaded machine): the
					// counts must still add up.
					theirs, _ := readFrames(tdFile)
					t.Logf("tcpdump dropped %d frames: comparing counts, not frames", tdDropped)
					if n+dropped != len(theirs)+tdDropped {
						t.Errorf("tcpflow read %d and dropped %d, tcpdump captured %d and dropped %d", n, dropped, len(theirs), tdDropped)
					}
				} else {
					sameFrames(t, file, tdFile) // the report here is tcpflow's own: no order needed
				}
			}
			if tcpdumpErr == nil {
				td, err := exec.Command("tcpdump", "-nn", "-r", file).CombinedOutput()
				if err != nil || strings.Count(string(td), " IP ") != n {
					t.Errorf("tcpdump -r %s: %v, want %d packets:\n%s", file, err, n, td)
				}
			}
		})
	}
}

// TestLiveDrops makes the kernel drop frames: tcpflow frozen (SIGSTOP)
// with a buffer of 1 KiB while hundreds of frames come. Every frame the
// filter passed is either read or counted as dropped: together they are the
// frames tcpdump, with a large buffer, captured. The pcapng file ends with
// the same counts.
func TestLiveDrops(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed: it is the reference")
	}
	e := newLiveEnv(t)
	e.servers(t)
	dir := t.TempDir()
	file, tdFile := filepath.Join(dir, "small.pcapng"), filepath.Join(dir, "tcpdump.pcap")
	p := startIn(t, e.a, "tcpflow", "-i", "veth0", "-B", "1", "-w", file, "--format", "json", "--summary")
	td := startIn(t, e.a, "tcpdump", "-i", "veth0", "-w", tdFile, "-U", "--immediate-mode", "-B", "32768")
	p.waitStderr(t, "listening on")
	td.waitStderr(t, "listening on")
	p.cmd.Process.Signal(syscall.SIGSTOP)
	e.chat(t, 300)
	settle(t, [2]string{tdFile, tdFile})
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Process.Signal(syscall.SIGCONT)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, p.stderr.String())
	}
	var doc struct {
		Capture struct {
			Frames  map[string]int `json:"frames"`
			Dropped *int           `json:"dropped_by_kernel"`
		} `json:"capture"`
	}
	if err := json.Unmarshal([]byte(p.stdout.String()), &doc); err != nil || doc.Capture.Dropped == nil {
		td.stop(t, os.Interrupt)
		t.Fatalf("no capture.dropped_by_kernel in the report (%v):\n%s", err, p.stdout.String())
	}
	read, dropped := doc.Capture.Frames["total"], *doc.Capture.Dropped
	// On a loaded machine the reference drops frames too (its buffer is
	// big, but it writes each frame at once): then what it captured and
	// dropped must add up to what tcpflow read and dropped.
	tdDropped := stopReference(t, td, tdFile, read+dropped)
	ours, _ := readFrames(file)
	theirs, _ := readFrames(tdFile)
	t.Logf("%d frames read, %d dropped by the kernel; tcpdump captured %d and dropped %d", read, dropped, len(theirs), tdDropped)
	if dropped == 0 || read+dropped != len(theirs)+tdDropped || len(ours) != read {
		t.Errorf("%d frames read (%d in the file) and %d dropped, tcpdump captured %d and dropped %d",
			read, len(ours), dropped, len(theirs), tdDropped)
	}
	if want := fmt.Sprintf("tcpflow: %d packets captured, %d dropped by kernel", read, dropped); !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stats []pcapgo.NgInterfaceStatistics
	ng, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{StatisticsCallback: func(_ int, s pcapgo.NgInterfaceStatistics) { stats = append(stats, s) }})
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, _, err = ng.ReadPacketData()
	}
	if len(stats) != 1 || stats[0].PacketsDropped != uint64(dropped) || stats[0].PacketsReceived != uint64(read+dropped) {
		t.Errorf("the file's interface statistics: %+v, want %d received, %d dropped", stats, read+dropped, dropped)
	}
}

// TestLiveWalkthrough is the walkthrough's own command, "tcpflow -i lo tcp
// port 6888", watching echo sessions: each connection's story is printed
// when it ends, before the capture stops, and Ctrl-C ends it with the story
// of the one still open, marked open, the header and the table, nothing
// lost (the frames tcpdump saw).
func TestLiveWalkthrough(t *testing.T) {
	e := newLiveEnv(t)
	serve(t, e.a, "127.0.0.1:6888", echoConn)
	p := startIn(t, e.a, "tcpflow", "-i", "lo", "--wide", "tcp", "port", "6888")
	var td *proc
	tdFile := filepath.Join(t.TempDir(), "lo.pcap")
	if _, err := exec.LookPath("tcpdump"); err == nil {
		td = startIn(t, e.a, "tcpdump", "-i", "lo", "-w", tdFile, "-U", "--immediate-mode", "-B", "32768", "tcp", "port", "6888")
		td.waitStderr(t, "listening on")
	}
	p.waitStderr(t, `listening on lo, link-type ETHERNET\(1\), snapshot length 262144 bytes, filter in the kernel`)

	session := func(lines ...string) {
		c, err := dial(e.a, "127.0.0.1:6888")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 100)
		for _, line := range lines {
			c.Write([]byte(line + "\n"))
			if _, err := io.ReadFull(c, buf[:len(line)+1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	session("hello", "world")
	// Traffic the filter leaves out: a refused connection on another port.
	if _, err := dial(e.a, "127.0.0.1:6889"); err == nil {
		t.Fatal("a connection to a closed port was not refused")
	}
	// The story of connection 0 comes before any stop.
	p.waitOutput(t, &p.stdout, `(?s)== connection 0: client 127\.0\.0\.1:\d+ -> server 127\.0\.0\.1:6888 ==.*ended: FIN by client.*frame  time`)
	session("again")
	p.waitOutput(t, &p.stdout, `== connection 1: `)
	// A session still open at the stop.
	open, err := dial(e.a, "127.0.0.1:6888")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	open.Write([]byte("still here\n"))
	io.ReadFull(open, make([]byte, 11))
	if td != nil {
		settle(t, [2]string{tdFile, tdFile})
	}
	if code := p.stop(t, os.Interrupt); code != 0 {
		t.Fatalf("exit %d after Ctrl-C\nstderr:\n%s", code, p.stderr.String())
	}
	out := p.stdout.String()
	m := liveFrames.FindStringSubmatch(out)
	if m == nil || strings.Contains(out, ":6889") || strings.Count(out, "| FIN by client |") != 2 ||
		!regexp.MustCompile(`\| 2 .* \| ESTABLISHED +\| ESTABLISHED +\| open +\|`).MatchString(out) {
		t.Fatalf("the report after Ctrl-C:\n%s", out)
	}
	// The open one's story is printed at the stop, before the header.
	if head := strings.Index(out, "capture lo (live)"); head < strings.Index(out, "== connection 2: ") || !strings.Contains(out, "ended: open") {
		t.Errorf("the stories and the header:\n%s", out)
	}
	if td != nil {
		td.stop(t, os.Interrupt)
		frames, _ := readFrames(tdFile)
		if n, _ := strconv.Atoi(m[2]); n != len(frames) {
			t.Errorf("tcpflow captured %d frames on lo, tcpdump %d", n, len(frames))
		}
		t.Logf("lo: %s frames, as tcpdump", m[2])
	}
}

// TestLiveNeedsPrivilege runs tcpflow -i lo without CAP_NET_RAW: one line
// naming the capability and how to grant it, exit code 2.
func TestLiveNeedsPrivilege(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-i", "lo")
	if os.Geteuid() == 0 {
		// As nobody, from a copy that nobody can run.
		dir, err := os.MkdirTemp("", "tcpflow-nopriv")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		os.Chmod(dir, 0o755)
		data, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "tcpflow")
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(bin, "-i", "lo")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else if fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0); err == nil {
		unix.Close(fd)
		t.Skip("this process may open packet sockets: it cannot show their refusal")
	}
	cmd.Env = append(os.Environ(), "TCPFLOW_AS_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want code 2\nstderr:\n%s", err, stderr.String())
	}
	want := "tcpflow: capturing on lo needs the CAP_NET_RAW capability: run tcpflow as root, or grant it once with: sudo setcap cap_net_raw+ep $(which tcpflow)\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Fatalf("stderr:\n%q\nwant:\n%q\nstdout:\n%s", stderr.String(), want, stdout.String())
	}
}

// TestLiveUsageErrors: what is wrong with a live capture's flags or filter
// is said before any socket opens (so without the privilege too), exit 2.
func TestLiveUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-i", "nosuch0"}, "tcpflow: nosuch0: no such interface (ip link lists them)\n"},
		{[]string{"-i", "lo", "-f", "tcp", "port", "80"}, "tcpflow: give the capture filter either with -f or after the flags, not both\n"},
		{[]string{"-i", "lo", "-s", "0"}, "tcpflow: -s 0: the snapshot length is from 1 to 262144 bytes\n"},
		{[]string{"-i", "lo", "-B", "0"}, "tcpflow: -B 0: the buffer size is a positive number of KiB\n"},
		{[]string{"-i", "lo", "tcp", "port"}, "tcpflow: filter \"tcp port\": syntax error: the expression ends after \"tcp\" (at column 9)\n"},
		{[]string{"-i", "any", "vlan", "100"}, "tcpflow: filter \"vlan 100\": vlan is supported only on Ethernet, not on LINUX_SLL2(276) (at column 1)\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, nil, &stdout, &stderr)
		// A usage error's message comes first, then the usage lines.
		if code != 2 || !strings.HasPrefix(stderr.String(), tt.stderr) || stdout.Len() != 0 {
			t.Errorf("tcpflow %s: exit %d, stderr %q, stdout %q; want 2, %q", strings.Join(tt.args, " "), code, stderr.String(), stdout.String(), tt.stderr)
		}
	}
}
