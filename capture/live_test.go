package capture

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestReaderCount stops after Count frames kept by the filter, as tcpdump
// -c: non-tcp.pcap's HTTP connection is frames 7-11 and 14-18.
func TestReaderCount(t *testing.T) {
	for _, tt := range []struct {
		expr   string
		count  uint64
		frames []uint64 // of the segments delivered
		read   uint64   // Stats.Frames
	}{
		{"", 8, []uint64{7, 8}, 8},
		{"tcp port 80", 6, []uint64{7, 8, 9, 10, 11, 14}, 14},
		{"tcp port 80", 100, []uint64{7, 8, 9, 10, 11, 14, 15, 16, 17, 18}, 20},
	} {
		r := NewReader("../testdata/pcaps/non-tcp.pcap")
		r.Count = tt.count
		if tt.expr != "" {
			r.Filter = mustFilter(t, tt.expr)
		}
		segs, errs := readAll(t, r)
		r.Close()
		var frames []uint64
		for _, s := range segs {
			frames = append(frames, s.Frame)
		}
		if len(errs) != 0 || !reflect.DeepEqual(frames, tt.frames) || r.Stats.Frames != tt.read {
			t.Errorf("%q -c %d: segments of frames %v, %d frames read, errors %v; want %v, %d", tt.expr, tt.count, frames, r.Stats.Frames, errs, tt.frames, tt.read)
		}
	}
}

// TestSaveFile writes frames as a live capture does, in both formats, and
// reads them back: the same bytes, lengths and (microsecond) times.
func TestSaveFile(t *testing.T) {
	want, datas := rawFrames(t, "../testdata/pcaps/textbook.pcap")
	for _, name := range []string{"out.pcap", "out.pcapng"} {
		path := filepath.Join(t.TempDir(), name)
		s, err := createSave(path, layers.LinkTypeEthernet, 262144, "eth0", "tcp port 80")
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			ci := want[i]
			ci.InterfaceIndex = 7 // an interface index of the machine, not of the file
			if err := s.write(ci, datas[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.close(time.Now(), 12, 0); err != nil {
			t.Fatal(err)
		}
		got, gotData := rawFrames(t, path)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotData, datas) {
			t.Errorf("%s: read back %d frames %v, want %d %v", name, len(got), got, len(want), want)
		}
		if _, err := os.Stat(path); err != nil {
			t.Error(err)
		}
	}
}

// rawFrames reads the frames of a capture file as they are stored.
func rawFrames(t *testing.T, path string) ([]gopacket.CaptureInfo, [][]byte) {
	t.Helper()
	r := NewReader(path)
	defer r.Close()
	f, err := r.openInput(0, bufSize)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	var cis []gopacket.CaptureInfo
	var datas [][]byte
	for {
		data, ci, err := f.src.ZeroCopyReadPacketData()
		if err != nil {
			return cis, datas
		}
		ci.InterfaceIndex, ci.AncillaryData = 0, nil
		cis = append(cis, ci)
		datas = append(datas, append([]byte(nil), data...))
	}
}

// TestSaveFileError: a file that cannot be created is an error naming it.
func TestSaveFileError(t *testing.T) {
	_, err := createSave(filepath.Join(t.TempDir(), "no", "such", "dir.pcap"), layers.LinkTypeEthernet, 262144, "eth0", "")
	if err == nil {
		t.Fatal("no error")
	}
}
