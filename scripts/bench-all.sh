#!/usr/bin/env bash
# Runs every benchmark once, one after another, each printing its JSON into OUT_DIR.
# Run it on a quiet machine: the figures are ratios measured within each command's own run.
# Usage: bash scripts/bench-all.sh [OUT_DIR] [quick]   ("quick" shortens bench generate)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.tmp/bench}
mkdir -p "$OUT"
shorten() { node --import tsx src/cli/run.ts "$@"; }
run() {
  local name=$1
  shift
  local t0=$SECONDS
  shorten "$@" > "$OUT/$name.json" 2> "$OUT/$name.log"
  echo "$name: exit $? in $((SECONDS - t0)) s" | tee -a "$OUT/summary.txt"
}
run kernels bench kernels --json
run model bench model --json
run score bench score --json
run train bench train --json
if [ "${2:-}" = quick ]; then
  run generate bench generate synthetic-2048:bf16 synthetic-2048:depth=20%:bf16 synthetic-2048:width=20%:bf16 \
    --batch-sizes 1,8,16,32,64 --new-tokens 32 --budget 60 --warmup 1 --json
else
  run generate bench generate synthetic-2048:bf16 synthetic-2048:depth=20%:bf16 synthetic-2048:width=20%:bf16 --json
fi
