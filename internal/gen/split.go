package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/pcapgo"
)

// Split writes the frames of the classic pcap file src into files of n
// frames each, named prefix0, prefix1, ..., as tcpdump -C rotates a capture
// (or editcap -c splits one), and returns their names.
func Split(src, prefix string, n int) ([]string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	return Distribute(data, prefix, func(i int) int { return i / n })
}

// Distribute writes frame i (from 0) of the classic pcap data into file
// pick(i), files being named prefix0, prefix1, ... up to the highest pick,
// each with the capture's link type and snap length and nanosecond times.
func Distribute(data []byte, prefix string, pick func(i int) int) ([]string, error) {
	pr, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var names []string
	var files []*os.File
	var bufs []*bufio.Writer
	var ws []*pcapgo.Writer
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for i := 0; ; i++ {
		d, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		k := pick(i)
		for len(ws) <= k {
			name := fmt.Sprintf("%s%d", prefix, len(ws))
			f, err := os.Create(name)
			if err != nil {
				return nil, err
			}
			bw := bufio.NewWriter(f)
			w := pcapgo.NewWriterNanos(bw)
			if err := w.WriteFileHeader(pr.Snaplen(), pr.LinkType()); err != nil {
				return nil, err
			}
			names, files, bufs, ws = append(names, name), append(files, f), append(bufs, bw), append(ws, w)
		}
		if err := ws[k].WritePacket(ci, d); err != nil {
			return nil, err
		}
	}
	for i, bw := range bufs {
		if err := bw.Flush(); err != nil {
			return nil, err
		}
		if err := files[i].Close(); err != nil {
			return nil, err
		}
	}
	files = nil
	return names, nil
}
