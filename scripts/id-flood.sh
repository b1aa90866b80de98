#!/usr/bin/env bash
# Peak memory (max RSS, GNU time) of `smtplog report` on logs of message ids that never
# finish: a log grepped for smtpd lines, or a flood of fake ids (issue 12). The message
# tracker forgets ids silent for MAX_SILENT_LINES lines, so memory stays bounded.
#
#   scripts/id-flood.sh [LINES]        # default 1,000,000 lines per flood
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
cargo build --release --quiet --bin smtplog
BIN=target/release/smtplog
mkdir -p bench-data
# Our own temporary files: other checkouts may run this script at the same time.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Postfix `client=` lines only (each waits for a size line that never comes), Exim arrivals
# that never say Completed, and the two mixed; a thousand senders and hosts (the sender and
# host tables have their own cap, --max-distinct).
awk -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++)
  printf "Nov  3 10:%02d:%02d gw postfix/smtpd[1]: %05X%05X: client=host%d.flood.test[192.0.2.%d]\n", (i / 60) % 60, i % 60, 16 + int(i / 1048576), i % 1048576, i % 1000, i % 250 }' \
  > bench-data/id-flood-postfix.log
awk -v n="$LINES" 'BEGIN { srand(42); for (i = 0; i < n; i++)
  printf "2026-11-03 10:%02d:%02d 1w%04X-%06X-Aa <= user%d@flood.test H=h%d.flood.test [192.0.2.%d]:4000 P=esmtp S=%d\n", (i / 60) % 60, i % 60, i % 65536, i, i % 1000, i % 1000, i % 250, 500 + i % 1000 }' \
  > bench-data/id-flood-exim.log
paste -d '\n' <(head -n $((LINES / 2)) bench-data/id-flood-postfix.log) <(head -n $((LINES / 2)) bench-data/id-flood-exim.log) \
  > bench-data/id-flood-mixed.log
for f in bench-data/id-flood-postfix.log bench-data/id-flood-exim.log bench-data/id-flood-mixed.log; do
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$BIN" report --format json "$f" > "$tmp/report.json"
  read -r secs rss < "$tmp/time"
  accuracy=$(grep -o '"messages_accuracy": *"[a-z]*"' "$tmp/report.json" | grep -o '[a-z]*"$' | tr -d '"')
  printf '  %-28s %8d lines  %6.2f s  %7.1f MiB max RSS  messages %s\n' "$f" "$(wc -l < "$f")" "$secs" "$(awk "BEGIN{print $rss/1024}")" "$accuracy"
done
