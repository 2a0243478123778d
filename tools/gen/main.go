// Command gen writes the deterministic benchmark captures of
// docs/PERFORMANCE.md (see internal/gen):
//
//	go run ./tools/gen -profile many -packets 2000000 -o /tmp/many.pcap
//	go run ./tools/gen -profile bulk -packets 150000 -o /tmp/bulk.pcap
//	go run ./tools/gen -profile lossy -packets 500000 -o /tmp/lossy.pcap
//	go run ./tools/gen -profile synflood -packets 2000000 -o /tmp/synflood.pcap
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tcpflow/tcpflow/internal/gen"
)

func main() {
	var o gen.Options
	var out string
	var profile string
	flag.StringVar(&profile, "profile", "many", "many, bulk, lossy or synflood")
	flag.IntVar(&o.Packets, "packets", 100000, "packets to write (the last connections are finished, not cut)")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed: the same seed gives the same bytes")
	flag.IntVar(&o.Concurrent, "concurrent", 0, "connections open at once (0: the profile's default)")
	flag.IntVar(&o.SegSize, "segsize", 0, "payload bytes of a full data segment (0: the profile's default)")
	flag.StringVar(&out, "o", "", "output `FILE` (refuses to overwrite)")
	flag.Parse()
	o.Profile = gen.Profile(profile)
	if out == "" {
		fmt.Fprintln(os.Stderr, "gen: -o FILE is required")
		os.Exit(2)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	n, err := gen.Write(f, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	st, _ := os.Stat(out)
	fmt.Printf("%s: %d packets, %d bytes\n", out, n, st.Size())
}
