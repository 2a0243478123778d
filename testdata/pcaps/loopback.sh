#!/usr/bin/env bash
# Captures real TCP traffic on the loopback interface into loopback.pcap:
# tools/loopback plays an echo exchange, a refused connection, a server-side
# close, a half-close and a 4 MiB transfer on 127.0.0.1 ports 47001-47005,
# and tcpdump records them with a snapshot length of 128 bytes, so headers
# are whole and payloads cut (the file stays small).
#
# Needs root (or CAP_NET_RAW) for tcpdump, and Go. CI does not run it; the
# pcaps it writes are committed: loopback.pcap, and loopback-again.pcap, a
# second run of the same scenario, on which tcpflow check's settings for
# re-captures are tested. Usage, from anywhere (OUT is relative to the module
# root, testdata/pcaps/loopback.pcap by default):
#
#   sudo testdata/pcaps/loopback.sh [OUT]
set -euo pipefail

cd "$(dirname "$0")/../.."   # the module root
out=${1:-testdata/pcaps/loopback.pcap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Build first, so compiling is not part of the capture.
go build -o "$tmp/loopback" ./tools/loopback

# -U: write each packet as it comes; -B: a 16 MiB kernel buffer, so the bulk
# transfer is not dropped; -Z root: keep the right to write the file.
tcpdump -i lo -n -s 128 -B 16384 -U -Z root -w "$tmp/loopback.pcap" \
	'tcp and host 127.0.0.1 and portrange 47001-47005' 2>"$tmp/tcpdump.log" &
tcpdump_pid=$!

# Wait until tcpdump is listening.
for _ in $(seq 50); do
	grep -q 'listening on' "$tmp/tcpdump.log" && break
	sleep 0.1
done
grep -q 'listening on' "$tmp/tcpdump.log" || { cat "$tmp/tcpdump.log" >&2; exit 1; }

status=0
"$tmp/loopback" -timeout 30s || status=$?
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
cat "$tmp/tcpdump.log" >&2
if [ "$status" -ne 0 ]; then
	echo "loopback.sh: tools/loopback failed; $out left as it was" >&2
	exit "$status"
fi
if grep -q '[1-9][0-9]* packets dropped by kernel' "$tmp/tcpdump.log"; then
	echo "loopback.sh: tcpdump dropped packets; $out left as it was" >&2
	exit 1
fi
mv "$tmp/loopback.pcap" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
