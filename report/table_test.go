package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// TestASCIITableMatchesTablewriter checks that the hand-drawn big table is
// the one tablewriter draws, so the summary looks the same whatever the
// number of connections.
func TestASCIITableMatchesTablewriter(t *testing.T) {
	header := []string{"id", "client", "a longer header", "x"}
	var rows [][]string
	for i := 0; i < BigTable+3; i++ {
		rows = append(rows, []string{fmt.Sprint(i), fmt.Sprintf("10.0.0.%d:%d", i%250, 40000+i), strings.Repeat("v", i%23), ""})
	}
	var want bytes.Buffer
	tbl := tablewriter.NewTable(&want,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Table(&got, header, rows); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("hand-drawn table differs from tablewriter's (-want +got):\n%s", lineDiff(want.String(), got.String()))
	}
}
