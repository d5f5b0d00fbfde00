#!/usr/bin/env bash
# The tests, from a fresh machine: installs what is missing (Debian packages, the CI model
# set), then runs the whole workspace's tests in release mode (model code is too slow in debug).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v python3 >/dev/null || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v cc >/dev/null || need+=(build-essential)
# whisper-rs builds its vendored whisper.cpp with cmake.
command -v cmake >/dev/null || need+=(cmake)
# Synthesised test calls (assist-server/tests/espeak_call.rs).
command -v espeak-ng >/dev/null || need+=(espeak-ng)
# apt-get download (LibriVox test clips) needs package lists.
if [ ${#need[@]} -gt 0 ] || ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
  sudo_ apt-get update -qq
fi
[ ${#need[@]} -gt 0 ] && sudo_ apt-get install -y -qq "${need[@]}"

cargo build --release --bin callassist-server
target/release/callassist-server models pull --set ci
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --release --workspace --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole workspace (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
