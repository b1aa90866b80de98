#!/usr/bin/env bash
# Build the Debian package and check it on this machine: install it, run what it ships,
# remove it. Needs root (dpkg -i) and cargo-deb (`cargo install cargo-deb --locked`).
#
#   scripts/package.sh            # build target/debian/smtplog_*.deb and check it
#   scripts/package.sh --no-check # only build it
set -euo pipefail
cd "$(dirname "$0")/.."

check=1
[ "${1:-}" = --no-check ] && check=0
command -v cargo-deb > /dev/null || { echo "cargo-deb missing: cargo install cargo-deb --locked" >&2; exit 2; }

cargo build --release --locked
# Man page and completions come from the binary itself, so they match its options.
mkdir -p target/assets
bin=target/release/smtplog
"$bin" generate man | gzip -9n > target/assets/smtplog.1.gz
"$bin" generate completions bash > target/assets/smtplog.bash
"$bin" generate completions zsh > target/assets/_smtplog
"$bin" generate completions fish > target/assets/smtplog.fish
deb=$(cargo deb --no-build --locked 2>&1 | tail -n 1)
[ -f "$deb" ] || { echo "cargo deb did not make a package: $deb" >&2; exit 1; }
echo "built $deb ($(du -h "$deb" | cut -f1); binary $(du -h "$bin" | cut -f1))"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Installed-Size\):/  &/p'
dpkg-deb --contents "$deb" | awk '{print "  " $6}'
[ "$check" = 1 ] || exit 0

[ "$(id -u)" = 0 ] || { echo "checking needs root (dpkg -i)" >&2; exit 2; }
if dpkg -s smtplog > /dev/null 2>&1; then
  echo "smtplog is already installed; not touching it" >&2
  exit 2
fi
trap 'dpkg -r smtplog > /dev/null 2>&1 || true' EXIT
dpkg -i "$deb"
echo "--- checks"
/usr/bin/smtplog --version
grep -q 'release build' <(/usr/bin/smtplog --version)
man -w smtplog
man smtplog 2> /dev/null | grep -q 'EXIT STATUS'
echo "man page: renders"
# Bash completion as bash-completion would load it.
words=$(bash -c 'source /usr/share/bash-completion/completions/smtplog;
  COMP_WORDS=(smtplog rep); COMP_CWORD=1; _smtplog smtplog rep smtplog; echo "${COMPREPLY[@]}"')
[ "$words" = report ] || { echo "bash completion of 'smtplog rep' gave '$words'" >&2; exit 1; }
echo "bash completion: smtplog rep -> $words"
[ -d /var/lib/smtplog ] && stat -c 'state directory: %n %a %U:%G' /var/lib/smtplog
grep -q '^#10 6' /etc/cron.d/smtplog && echo "cron example: installed, commented out"
# The packaged units must be valid systemd units.
if command -v systemd-analyze > /dev/null; then
  systemd-analyze verify /lib/systemd/system/smtplog-daily.service /lib/systemd/system/smtplog-daily.timer
  echo "systemd units: systemd-analyze verify passed"
else
  echo "systemd units: systemd-analyze not installed, not verified"
fi
# The service's command line, run by hand on the bundled sample.
/usr/bin/smtplog report --year 2026 --quiet -o /var/lib/smtplog/check.txt testdata/sample-postfix.log
grep -q Replies /var/lib/smtplog/check.txt && rm /var/lib/smtplog/check.txt
echo "report into /var/lib/smtplog: ok"
dpkg -r smtplog > /dev/null
trap - EXIT
! command -v smtplog > /dev/null || [ "$(command -v smtplog)" != /usr/bin/smtplog ]
echo "removed: ok"
