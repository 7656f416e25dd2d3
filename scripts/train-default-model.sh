#!/usr/bin/env bash
# Reproduces the embedded default model (models/default) from the shared TinyStories text:
# a 512-piece BPE tokenizer, then a 12-block LLaMA pretrained from scratch with `shorten pretrain`.
# A seeded 96-row validation split comes from the same text; the fixtures' validation head
# (../shared/fixtures/text/tinystories_validation_head.txt) stays unseen, for held-out evaluation.
# Usage: bash scripts/train-default-model.sh [RUN_DIR] [MAX_STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-.tmp/default}
STEPS=${2:-1200}
TS=../shared/corpus/tinystories
TRAIN=(ts_czhou578_val.txt ts_czhou578_test.txt ts_jasonyao3_train_part1.txt ts_jasonyao3_train_part2.txt ts_decodinggpt_10k.txt ts_aditya584_val.txt ts_jasonyao3_val.txt)
files=()
for f in "${TRAIN[@]}"; do files+=("$TS/$f"); done
shorten() { node --import tsx src/cli/run.ts "$@"; }
mkdir -p "$RUN"
[ -f "$RUN/tokenizer/tokenizer.json" ] ||
  shorten tokenizer train --text "$(IFS=,; echo "${files[*]}")" --vocab 512 --out "$RUN/tokenizer/tokenizer.json" --json
resume=()
[ -d "$RUN/pretrain/checkpoints" ] && resume=(--resume "$RUN/pretrain")
shorten pretrain --config scripts/default-model-config.json --tokenizer "$RUN/tokenizer/tokenizer.json" \
  --text "${files[@]}" --out "$RUN/pretrain" --max-steps "$STEPS" --batch-size 32 --micro-batch 16 \
  --seq-len 256 --lr 1.5e-3 --warmup-steps 100 --epochs 1000 --val-size 96 --eval-every 100 --save-every 50 --seed 1 "${resume[@]}"
