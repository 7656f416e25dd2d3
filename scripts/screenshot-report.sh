#!/usr/bin/env bash
# A screenshot of a run's report.html in headless Chromium (Debian's `chromium`), to look at the
# report as a reader would. Not part of npm test. Usage: scripts/screenshot-report.sh DIR [OUT.png]
set -euo pipefail
dir=${1:?usage: scripts/screenshot-report.sh DIR [OUT.png]}
report="$(cd "$dir" && pwd)/report.html"
out=${2:-"$(cd "$dir" && pwd)/report.png"}
[ -f "$report" ] || { echo "screenshot-report: $report: no such file (run shorten run or shorten report first)" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "screenshot-report: chromium not found (apt-get install -y chromium)" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --screenshot="$out" --window-size=1280,4000 \
  "file://$report" 2>/dev/null
echo "$out"
