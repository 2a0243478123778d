package capture

import "github.com/gopacket/gopacket/pcapgo"

// Recorded is what a pcapng file's interface statistics blocks (ISBs)
// recorded of its capture: the packets each interface received and
// dropped, as the capturing program (dumpcap, tcpdump) wrote them at its
// end (isb_ifrecv and isb_ifdrop; draft-ietf-opsawg-pcapng, section 4.6).
// The counters of an interface are cumulative, so the last block of each
// interface counts; the file's figures are their sums. pcapgo's NgReader
// parses these blocks and hands them over through its StatisticsCallback;
// it reads no isb_osdrop (the drops of the operating system, option 7),
// which dumpcap does not write on Linux either: its kernel drops are
// isb_ifdrop.
type Recorded struct {
	// Interfaces is how many interfaces had statistics; zero when the
	// file has none (classic pcap has no place for them).
	Interfaces int
	// Received and Dropped are the sums of isb_ifrecv and isb_ifdrop over
	// the interfaces that gave them; HasReceived and HasDropped say
	// whether any did.
	Received, Dropped       uint64
	HasReceived, HasDropped bool
}

// isbStats keeps the last statistics of each interface of a pcapng file.
type isbStats struct {
	last []pcapgo.NgInterfaceStatistics
	set  []bool
}

// add takes interface id's latest statistics and returns the file's sums.
func (s *isbStats) add(id int, st pcapgo.NgInterfaceStatistics) Recorded {
	for len(s.last) <= id {
		s.last = append(s.last, pcapgo.NgInterfaceStatistics{})
		s.set = append(s.set, false)
	}
	s.last[id], s.set[id] = st, true
	var r Recorded
	for i, st := range s.last {
		if !s.set[i] {
			continue
		}
		r.Interfaces++
		if st.PacketsReceived != pcapgo.NgNoValue64 {
			r.Received += st.PacketsReceived
			r.HasReceived = true
		}
		if st.PacketsDropped != pcapgo.NgNoValue64 {
			r.Dropped += st.PacketsDropped
			r.HasDropped = true
		}
	}
	return r
}
