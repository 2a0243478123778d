package capture

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// saveFile writes the frames of a live capture to a file as they are read
// (tcpdump -w): pcapng when the name ends in ".pcapng", else pcap with
// microsecond timestamps, the precision the capture keeps.
type saveFile struct {
	name string
	f    *os.File
	bw   *bufio.Writer    // under the pcap writer
	pcap *pcapgo.Writer   // one of pcap and ng
	ng   *pcapgo.NgWriter // buffers by itself
}

func createSave(name string, link layers.LinkType, snaplen int, iface, expr string) (*saveFile, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	s := &saveFile{name: name, f: f}
	if strings.HasSuffix(strings.ToLower(name), ".pcapng") {
		s.ng, err = pcapgo.NewNgWriterInterface(f,
			pcapgo.NgInterface{Name: iface, Filter: expr, OS: runtime.GOOS, LinkType: link, SnapLength: uint32(snaplen)},
			pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "tcpflow"}})
		if err == nil {
			err = s.ng.Flush()
		}
	} else {
		s.bw = bufio.NewWriterSize(f, 64<<10)
		s.pcap = pcapgo.NewWriter(s.bw)
		if err = s.pcap.WriteFileHeader(uint32(snaplen), link); err == nil {
			err = s.bw.Flush()
		}
	}
	if err != nil {
		f.Close()
		return nil, s.wrap(err)
	}
	return s, nil
}

func (s *saveFile) wrap(err error) error { return fmt.Errorf("writing %s: %w", s.name, err) }

func (s *saveFile) write(ci gopacket.CaptureInfo, data []byte) error {
	var err error
	if s.ng != nil {
		ci.InterfaceIndex = 0 // the file's one interface
		err = s.ng.WritePacket(ci, data)
	} else {
		err = s.pcap.WritePacket(ci, data)
	}
	if err != nil {
		return s.wrap(err)
	}
	return nil
}

// flush writes out what is buffered, so that the file is readable up to
// the last frame.
func (s *saveFile) flush() error {
	var err error
	if s.ng != nil {
		err = s.ng.Flush()
	} else {
		err = s.bw.Flush()
	}
	if err != nil {
		return s.wrap(err)
	}
	return nil
}

// close completes the file; a pcapng file ends with the interface's
// statistics, as dumpcap writes them: frames received by the filter and
// dropped by the kernel.
func (s *saveFile) close(start time.Time, received, dropped uint64) error {
	var err error
	if s.ng != nil {
		now := time.Now()
		err = s.ng.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: now, StartTime: start, EndTime: now,
			PacketsReceived: received, PacketsDropped: dropped})
		if err != nil {
			err = s.wrap(err)
		}
	}
	if ferr := s.flush(); err == nil {
		err = ferr
	}
	if cerr := s.f.Close(); err == nil && cerr != nil {
		err = s.wrap(cerr)
	}
	return err
}
