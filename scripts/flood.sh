#!/usr/bin/env bash
# Peak memory on hostile logs: one flood per kind of key a log can multiply, and all mixed.
#
#   scripts/flood.sh [LINES]          # default 1,000,000 lines per flood
#
# Generates bench-data/flood-KIND.log with examples/floodlog (deterministic, seed 42): a
# different enhanced code per line (codes), day (days), daemon name (daemons) or queue id
# never removed (ids), the four in turn (mixed), and a different combination of reply code,
# hour and day (facts: each within its own limit, but 1M combinations). Runs the release binary at its
# defaults (text report, and JSON) and prints peak RSS (GNU time's max RSS) against the
# targets: under 64 MiB for each flood, under 128 MiB mixed. Exits 1 if any misses.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
cargo build --release --quiet --bin smtplog --example floodlog
BIN=target/release/smtplog
mkdir -p bench-data

# Our own temporary file: other checkouts may run this script at the same time.
times=$(mktemp)
trap 'rm -f "$times"' EXIT
peak_kib() { # the max RSS in KiB of a command whose output is thrown away
  /usr/bin/time -f "%M" -o "$times" "$@" > /dev/null 2>&1 || true
  tail -n 1 "$times"
}

missed=0
printf '%-8s %9s  %12s  %12s  %s\n' FLOOD LINES "TEXT MiB" "JSON MiB" TARGET
for kind in codes days daemons ids mixed facts; do
  f=bench-data/flood-$kind.log
  if [ ! -f "$f" ] || [ "$(wc -l < "$f")" -ne "$LINES" ]; then
    target/release/examples/floodlog --kind "$kind" --lines "$LINES" > "$f"
  fi
  target=64
  if [ "$kind" = mixed ]; then target=128; fi
  text=$(peak_kib "$BIN" report "$f")
  json=$(peak_kib "$BIN" report --format json "$f")
  worst=$(( text > json ? text : json ))
  verdict=ok
  if [ "$worst" -ge $(( target * 1024 )) ]; then verdict=MISSED; missed=1; fi
  printf '%-8s %9s  %12.1f  %12.1f  < %d MiB %s\n' "$kind" "$LINES" \
    "$(awk "BEGIN{print $text/1024}")" "$(awk "BEGIN{print $json/1024}")" "$target" "$verdict"
done
exit $missed
