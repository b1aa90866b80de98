#!/usr/bin/env bash
# Whole-binary benchmark on large generated logs, with baselines measured in the same run.
#
#   scripts/bench.sh [LINES]          # default 8,300,000 lines (about 1 GB of Postfix log)
#   BASELINE=/path/to/old/smtplog scripts/bench.sh   # also time an older build, same run
#
# Generates bench-data/postfix.log and bench-data/exim.log with examples/genlog (deterministic,
# seed 42), warms the page cache, and prints the best of 3 wall-clock times for: wc -l, grep -c,
# smtplog with 1 thread and with all cores, and pflogsumm / eximstats when installed
# (`apt-get install pflogsumm`; eximstats: `apt-get download exim4-base`, `dpkg -x` it, and set
# EXIMSTATS=/path/to/usr/sbin/eximstats). Peers run once: they take minutes. Peak memory (max
# RSS) comes from GNU time. Figures are ratios, since machines are shared and noisy. With
# BASELINE set, that binary is timed in turn with this one (best of 3 each, interleaved) and
# the ratios new/old are printed: how a change moved speed, on the same machine in the same minute.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-8300000}
cargo build --release --quiet --bin smtplog --example genlog
BIN=target/release/smtplog
mkdir -p bench-data
for mta in postfix exim; do
  f=bench-data/$mta.log
  if [ ! -f "$f" ] || [ "$(wc -l < "$f")" -lt "$LINES" ]; then
    target/release/examples/genlog --lines "$LINES" --mta "$mta" > "$f"
  fi
done

# Our own temporary files: other checkouts may run this script at the same time.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best() { # best of 3 wall-clock seconds of a command; prints "seconds max_rss_kb"
  local best=999999 rss=0
  for _ in 1 2 3; do
    # Not /dev/null: GNU grep stops at the first match when its output goes there.
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2>&1 || true
    read -r t m < <(tail -n 1 "$tmp/time")
    if awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $rss"
}
best_pair() { # best of 3 of two commands run in turn (A B A B A B), so that a machine
  # that slows down for a while slows both; prints "a_seconds a_rss b_seconds b_rss"
  local cmd_a=$1 cmd_b=$2 best_a=999999 best_b=999999 rss_a=0 rss_b=0 t m
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" $cmd_a > "$tmp/out" 2>&1 || true
    read -r t m < <(tail -n 1 "$tmp/time")
    if awk "BEGIN{exit !($t < $best_a)}"; then best_a=$t; rss_a=$m; fi
    /usr/bin/time -f "%e %M" -o "$tmp/time" $cmd_b > "$tmp/out" 2>&1 || true
    read -r t m < <(tail -n 1 "$tmp/time")
    if awk "BEGIN{exit !($t < $best_b)}"; then best_b=$t; rss_b=$m; fi
  done
  echo "$best_a $rss_a $best_b $rss_b"
}
once() {
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2>&1 || true
  tail -n 1 "$tmp/time"
}
row() { # name seconds rss baseline_seconds
  printf '  %-28s %8.2f s  %7.1f MiB  %6.2fx wc -l\n' "$1" "$2" "$(awk "BEGIN{print $3/1024}")" "$(awk "BEGIN{print $2/$4}")"
}

for mta in postfix exim; do
  f=bench-data/$mta.log
  cat "$f" > /dev/null
  size=$(stat -c %s "$f")
  echo "$f: $((size / 1000000)) MB, $(wc -l < "$f") lines"
  read -r wc_s wc_m <<< "$(best wc -l "$f")"
  read -r grep_s grep_m <<< "$(best grep -c 'said: [245][0-9][0-9]' "$f")"
  read -r one_s one_m <<< "$(best "$BIN" report -j 1 "$f")"
  read -r all_s all_m <<< "$(best "$BIN" report "$f")"
  row "wc -l" "$wc_s" "$wc_m" "$wc_s"
  row "grep -c 'said: [245]..'" "$grep_s" "$grep_m" "$wc_s"
  row "smtplog report -j 1" "$one_s" "$one_m" "$wc_s"
  row "smtplog report (all cores)" "$all_s" "$all_m" "$wc_s"
  # Threads sweep: how counting scales (past the cores it shows the cost of oversubscribing).
  sweep=""
  for j in 2 4 8; do
    read -r j_s _ <<< "$(best "$BIN" report -j "$j" "$f")"
    sweep="$sweep  -j $j: $j_s s ($(awk "BEGIN{printf \"%.2f\", $one_s/$j_s}")x)"
  done
  echo "  threads sweep (vs -j 1):$sweep"
  if [ -n "${BASELINE:-}" ]; then
    # Interleaved with this build's own runs: the ratio is what the change did.
    read -r new1_s _ old1_s old1_m <<< "$(best_pair "$BIN report -j 1 $f" "$BASELINE report -j 1 $f")"
    read -r newall_s _ oldall_s oldall_m <<< "$(best_pair "$BIN report $f" "$BASELINE report $f")"
    row "baseline report -j 1" "$old1_s" "$old1_m" "$wc_s"
    row "baseline report (all cores)" "$oldall_s" "$oldall_m" "$wc_s"
    echo "  this build / baseline, interleaved: $(awk "BEGIN{printf \"%.2f\", $new1_s/$old1_s}")x on 1 thread ($new1_s s vs $old1_s s), $(awk "BEGIN{printf \"%.2f\", $newall_s/$oldall_s}")x on all cores ($newall_s s vs $oldall_s s; below 1: faster)"
  fi
  # events into a file (not /dev/null, so the writes are real), 1 thread: MB/s per core.
  read -r ev1_s ev1_m <<< "$(best sh -c "\"$BIN\" events -j 1 -o \"$tmp/events.ndjson\" \"$f\"")"
  read -r ev_s ev_m <<< "$(best sh -c "\"$BIN\" events -o \"$tmp/events.ndjson\" \"$f\"")"
  row "smtplog events -j 1" "$ev1_s" "$ev1_m" "$wc_s"
  row "smtplog events (all cores)" "$ev_s" "$ev_m" "$wc_s"
  echo "  events: $(awk "BEGIN{printf \"%.0f\", $size/1000000/$ev1_s}") MB/s per core, $(awk "BEGIN{printf \"%.0f\", $size/1000000/$ev_s}") MB/s on all cores"
  rm -f "$tmp/events.ndjson"
  peer=""
  if [ "$mta" = postfix ] && command -v pflogsumm > /dev/null; then peer=pflogsumm; fi
  if [ "$mta" = exim ] && [ -n "${EXIMSTATS:-}" ]; then peer="perl $EXIMSTATS"; fi
  if [ -n "$peer" ]; then
    read -r peer_s peer_m <<< "$(once $peer "$f")"
    row "$peer" "$peer_s" "$peer_m" "$wc_s"
    echo "  smtplog is $(awk "BEGIN{printf \"%.0f\", $peer_s/$all_s}")x faster than ${peer%% *}"
  fi
  echo "  grep -c / smtplog: $(awk "BEGIN{printf \"%.2f\", $grep_s/$all_s}")x; threads scaling: $(awk "BEGIN{printf \"%.2f\", $one_s/$all_s}")x; $(awk "BEGIN{printf \"%.0f\", $size/1000000/$all_s}") MB/s"
done
