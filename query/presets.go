package query

import (
	"fmt"
	"slices"
	"strings"
)

// Preset is a ready-made question, asked in DuckDB's SQL over the views.
type Preset struct {
	Name     string
	Question string
	Needs    []string // the tables it reads
	SQL      string
}

// Presets are the ready-made questions, by name (docs/parquet.md explains
// each; the SQL is also the place to start writing one's own).
var Presets = []Preset{
	{
		Name:     "resets",
		Question: "which servers reset the most connections (RST from the server, refused SYNs included)",
		Needs:    []string{"connections"},
		SQL: `SELECT server.addr AS server, server.port AS port,
       count(*) AS conns,
       count(*) FILTER (WHERE ended_by IN ('rst', 'refused') AND closed_by = 'server') AS resets,
       count(*) FILTER (WHERE ended_by = 'refused') AS refused,
       round(100.0 * resets / conns, 1) AS reset_pct
FROM connections
GROUP BY ALL
HAVING resets > 0
ORDER BY resets DESC, conns DESC, server, port
LIMIT 20`,
	},
	{
		Name: "retrans-per-hour",
		Question: "in each hour, the five connections with the worst retransmission rate " +
			"(retransmitted segments / segments, connections with at least 10 segments in that hour)",
		Needs: []string{"connections", "segments"},
		SQL: `WITH per_hour AS (
  SELECT date_trunc('hour', ts) AS hour, run, conn, part,
         count(*) AS segments,
         count(*) FILTER (WHERE list_has_any(analysis,
           ['retransmission', 'fast_retransmission', 'spurious_retransmission'])) AS retransmitted
  FROM segments
  GROUP BY ALL
  HAVING segments >= 10 AND retransmitted > 0
)
SELECT h.hour,
       c.client.addr || ':' || c.client.port AS client,
       c.server.addr || ':' || c.server.port AS server,
       h.segments, h.retransmitted,
       round(100.0 * h.retransmitted / h.segments, 2) AS retrans_pct,
       c.key
FROM per_hour h
JOIN connections c ON c.run = h.run AND c.id = h.conn AND c.part = h.part
QUALIFY row_number() OVER (PARTITION BY h.hour
          ORDER BY h.retransmitted / h.segments DESC, h.retransmitted DESC, c.key) <= 5
ORDER BY h.hour, retrans_pct DESC, h.retransmitted DESC, c.key`,
	},
	{
		Name: "rtt-percentiles",
		Question: "RTT percentiles per server, in milliseconds: the handshake RTT of its connections " +
			"and, with segments, the RTT of the server's ACKs of client data",
		Needs: []string{"connections"},
		SQL: `WITH hs AS (
  SELECT server.addr AS server, server.port AS port,
         count(handshake_rtt_s) AS handshakes,
         1000 * quantile_cont(handshake_rtt_s, 0.5) AS hs_p50_ms,
         1000 * quantile_cont(handshake_rtt_s, 0.9) AS hs_p90_ms,
         1000 * quantile_cont(handshake_rtt_s, 0.99) AS hs_p99_ms,
         1000 * max(handshake_rtt_s) AS hs_max_ms
  FROM connections
  GROUP BY ALL
  HAVING handshakes > 0
)/*ACKS*/
SELECT hs.server, hs.port, hs.handshakes,
       round(hs_p50_ms, 3) AS hs_p50_ms, round(hs_p90_ms, 3) AS hs_p90_ms,
       round(hs_p99_ms, 3) AS hs_p99_ms, round(hs_max_ms, 3) AS hs_max_ms/*ACKCOLS*/
FROM hs/*ACKJOIN*/
ORDER BY hs.handshakes DESC, hs.server, hs.port
LIMIT 50`,
	},
	{
		Name: "stitch",
		Question: "connections cut in parts by analyzing the files of a set in separate runs, " +
			"stitched into one: parts, runs, span, packets and bytes",
		Needs: []string{"connections"},
		SQL:   stitchSQL,
	},
	{
		Name:     "zeek-conn",
		Question: "the connections as Zeek conn.log records (its field names, JSON with --format jsonl)",
		Needs:    []string{"connections"},
		SQL: `SELECT epoch(first_ts) AS ts,
       'C' || substr(md5(key), 1, 17) AS uid,
       client.addr AS "id.orig_h", client.port AS "id.orig_p",
       server.addr AS "id.resp_h", server.port AS "id.resp_p",
       'tcp' AS proto,
       duration_s AS duration,
       coalesce(streams.c2s.bytes, bytes.c2s) AS orig_bytes,
       coalesce(streams.s2c.bytes, bytes.s2c) AS resp_bytes,
       conn_state,
       stats.c2s.gap_bytes + stats.s2c.gap_bytes AS missed_bytes,
       history,
       packets.c2s AS orig_pkts,
       packets.s2c AS resp_pkts,
       key AS tcpflow_key, verdict AS tcpflow_verdict
FROM connections
ORDER BY first_ts, key`,
	},
}

// The stitching rule: a part that joined mid-stream (no SYN from its client
// seen: it starts with a data segment or a SYN-ACK) in one run
// continues, in another run, the latest part on the same two endpoints
// (either way round: a mid-stream part's client is guessed) that was last
// seen before it began; parts are chained to the first, whose key names the
// whole. Packets and bytes are added up the first part's way round.
const stitchSQL = `WITH RECURSIVE parts AS (
  SELECT run, id, part, key, mid_stream, first_ts, last_ts, client, server, packets, bytes,
         least(client.addr || ' ' || client.port, server.addr || ' ' || server.port) AS lo,
         greatest(client.addr || ' ' || client.port, server.addr || ' ' || server.port) AS hi
  FROM connections
),
prev AS (
  SELECT n.run, n.key, arg_max(p.run, p.last_ts) AS prev_run, arg_max(p.key, p.last_ts) AS prev_key
  FROM parts n JOIN parts p
    ON n.lo = p.lo AND n.hi = p.hi AND n.run <> p.run AND p.last_ts <= n.first_ts
  WHERE n.mid_stream OR n.client.isn IS NULL
  GROUP BY ALL
),
chain AS (
  SELECT p.run, p.key, p.run AS root_run, p.key AS root_key, 1 AS n
  FROM parts p ANTI JOIN prev v ON v.run = p.run AND v.key = p.key
  UNION ALL
  SELECT v.run, v.key, c.root_run, c.root_key, c.n + 1
  FROM prev v JOIN chain c ON v.prev_run = c.run AND v.prev_key = c.key
),
oriented AS (
  SELECT c.root_run, c.root_key, c.n, p.run, p.first_ts, p.last_ts,
         p.client.addr = r.client.addr AND p.client.port = r.client.port AS same_way,
         CASE WHEN same_way THEN p.packets ELSE {'c2s': p.packets.s2c, 's2c': p.packets.c2s} END AS packets,
         CASE WHEN same_way THEN p.bytes ELSE {'c2s': p.bytes.s2c, 's2c': p.bytes.c2s} END AS bytes
  FROM chain c
  JOIN parts p ON p.run = c.run AND p.key = c.key
  JOIN parts r ON r.run = c.root_run AND r.key = c.root_key
)
SELECT root_key AS key,
       count(*) AS parts,
       list(run ORDER BY n) AS runs,
       min(first_ts) AS first_ts, max(last_ts) AS last_ts,
       sum(packets.c2s)::BIGINT AS packets_c2s, sum(packets.s2c)::BIGINT AS packets_s2c,
       sum(bytes.c2s)::BIGINT AS bytes_c2s, sum(bytes.s2c)::BIGINT AS bytes_s2c
FROM oriented
GROUP BY root_run, root_key
HAVING parts > 1
ORDER BY first_ts, key`

// PresetSQL returns the SQL of the named preset for an engine over the
// given tables, or an error naming the presets.
func PresetSQL(name string, tables []string) (string, error) {
	for _, p := range Presets {
		if p.Name != name {
			continue
		}
		for _, t := range p.Needs {
			if !slices.Contains(tables, t) {
				return "", fmt.Errorf("--preset %s needs the %s table (it is written unless --summary)", name, t)
			}
		}
		q := p.SQL
		if name == "rtt-percentiles" {
			q = rttSQL(q, slices.Contains(tables, "segments"))
		}
		return q, nil
	}
	var names []string
	for _, p := range Presets {
		names = append(names, p.Name)
	}
	return "", fmt.Errorf("unknown --preset %q (want %s)", name, strings.Join(names, ", "))
}

// rttSQL adds to the RTT preset, when there are segments, the percentiles
// of the ACK RTTs of the server's acknowledgments of client data (a segment
// from the server with ack_rtt_s).
func rttSQL(q string, segments bool) string {
	acks, cols, join := "", "", ""
	if segments {
		acks = `,
acks AS (
  SELECT c.server.addr AS server, c.server.port AS port,
         count(*) AS acks,
         1000 * quantile_cont(s.ack_rtt_s, 0.5) AS ack_p50_ms,
         1000 * quantile_cont(s.ack_rtt_s, 0.9) AS ack_p90_ms,
         1000 * quantile_cont(s.ack_rtt_s, 0.99) AS ack_p99_ms
  FROM segments s
  JOIN connections c ON c.run = s.run AND c.id = s.conn AND c.part = s.part
  WHERE s.dir = 's2c' AND s.ack_rtt_s IS NOT NULL
  GROUP BY ALL
)`
		cols = `,
       coalesce(acks.acks, 0) AS acks, round(ack_p50_ms, 3) AS ack_p50_ms,
       round(ack_p90_ms, 3) AS ack_p90_ms, round(ack_p99_ms, 3) AS ack_p99_ms`
		join = `
LEFT JOIN acks USING (server, port)`
	}
	q = strings.Replace(q, "/*ACKS*/", acks, 1)
	q = strings.Replace(q, "/*ACKCOLS*/", cols, 1)
	return strings.Replace(q, "/*ACKJOIN*/", join, 1)
}
