package query

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Formats Write prints.
const (
	FormatTable = "table" // columns aligned, for people
	FormatCSV   = "csv"   // RFC 4180, a header line first
	FormatJSONL = "jsonl" // one JSON object per row, columns in order
)

// Write prints a result in a format. Times are UTC (RFC 3339 with
// nanoseconds in JSON); lists, maps and structs are written as JSON in the
// table and CSV formats, and as JSON values in JSON lines.
func Write(w io.Writer, res *Result, format string) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case FormatTable:
		err = writeTable(bw, res)
	case FormatCSV:
		cw := csv.NewWriter(bw)
		cw.Write(res.Columns)
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = text(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		err = cw.Error()
	case FormatJSONL:
		for _, row := range res.Rows {
			bw.WriteByte('{')
			for i, v := range row {
				if i > 0 {
					bw.WriteByte(',')
				}
				k, _ := json.Marshal(res.Columns[i])
				bw.Write(k)
				bw.WriteByte(':')
				b, e := json.Marshal(jsonValue(v))
				if e != nil && err == nil {
					err = e
				}
				bw.Write(b)
			}
			bw.WriteString("}\n")
		}
	default:
		return fmt.Errorf("unknown output format %q (want table, csv or jsonl)", format)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// writeTable aligns the columns, numbers to the right; control characters
// (from names in captures) are escaped.
func writeTable(w *bufio.Writer, res *Result) error {
	cells := make([][]string, len(res.Rows))
	widths := make([]int, len(res.Columns))
	right := make([]bool, len(res.Columns))
	for i, c := range res.Columns {
		widths[i] = utf8.RuneCountInString(c)
		right[i] = true
	}
	for r, row := range res.Rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			s := escape(text(v))
			cells[r][i] = s
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
			if v != nil && !isNumber(v) {
				right[i] = false
			}
		}
	}
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				w.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(f))
			if right[i] {
				w.WriteString(pad + f)
			} else if i < len(fields)-1 {
				w.WriteString(f + pad)
			} else {
				w.WriteString(f)
			}
		}
		w.WriteByte('\n')
	}
	line(res.Columns)
	sep := make([]string, len(widths))
	for i, n := range widths {
		sep[i] = strings.Repeat("-", n)
	}
	line(sep)
	for _, c := range cells {
		line(c)
	}
	fmt.Fprintf(w, "(%d rows)\n", len(res.Rows))
	return nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, *big.Int:
		return true
	}
	return false
}

// escape writes control characters and invalid UTF-8 (from names in
// captures) as Go escapes, so that a cell is one line of plain text.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// text is a value as one string: NULL as "", times in UTC, floats in the
// shortest form that reads back, composite values as JSON.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, *big.Int:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(jsonValue(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonValue turns what the driver returns into what encoding/json writes
// well: maps of any key type (DuckDB's MAP) into objects with string keys,
// sorted; times into UTC; NaN and infinities into null.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, string, bool:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case []byte:
		return string(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
		for _, k := range keys {
			out[fmt.Sprint(k.Interface())] = jsonValue(rv.MapIndex(k).Interface())
		}
		return out
	}
	if m, ok := orderedMap(v); ok {
		return m
	}
	return v
}

// orderedMap reads DuckDB's MAP values, which the driver returns as an
// ordered map type with Keys and Values methods.
func orderedMap(v any) (map[string]any, bool) {
	type keysValues interface {
		Keys() []any
		Values() []any
	}
	om, ok := v.(keysValues)
	if !ok {
		// The methods are on the pointer.
		p := reflect.New(reflect.TypeOf(v))
		p.Elem().Set(reflect.ValueOf(v))
		if om, ok = p.Interface().(keysValues); !ok {
			return nil, false
		}
	}
	out := map[string]any{}
	ks, vs := om.Keys(), om.Values()
	for i := range ks {
		if i < len(vs) {
			out[fmt.Sprint(ks[i])] = jsonValue(vs[i])
		}
	}
	return out, true
}
