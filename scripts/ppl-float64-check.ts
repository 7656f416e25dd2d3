// Checks `shorten eval ppl` against an independent float64 computation on a whole text file:
// the KV-cache f32 inference path (native kernels) against the tape forward in float64 (plain TS).
// Usage: node --import tsx scripts/ppl-float64-check.ts MODEL TEXT [--seq-len 128] [--bos first|every]
import { readFileSync } from 'node:fs';
import { perplexity, perplexitySegments } from '../src/eval/perplexity.js';
import type { BosMode } from '../src/eval/perplexity.js';
import { perplexityFloat64 } from '../src/eval/perplexity-float64.js';
import { inferenceOf, openModel } from '../src/pipeline/open-model.js';
import { sequenceStartToken } from '../src/text/tokenizer.js';

const [modelPath, textPath] = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const seqLen = Number(flag('--seq-len', '128'));
const bos = flag('--bos', 'first') as BosMode;
const m = openModel(modelPath);
const segments = perplexitySegments(
  m.tokenizer.encode(readFileSync(textPath, 'utf8')),
  seqLen,
  bos,
  sequenceStartToken(m.tokenizer).id,
);
const t0 = performance.now();
const ours = perplexity(inferenceOf(m), segments, { batch: 16 });
const t1 = performance.now();
const { ppl: ppl64 } = perplexityFloat64(m.weights, segments);
console.log(
  JSON.stringify({
    model: modelPath,
    text: textPath,
    seq_len: seqLen,
    bos,
    segments: segments.length,
    tokens: ours.tokens,
    ppl_f32_kv_cache: ours.ppl,
    ppl_float64: ppl64,
    relative_difference: Math.abs(ours.ppl - ppl64) / ppl64,
    f32_seconds: (t1 - t0) / 1000,
    float64_seconds: (performance.now() - t1) / 1000,
  }),
);
