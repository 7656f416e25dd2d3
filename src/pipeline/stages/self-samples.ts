// Text sampled from the model itself (seeded, temperature 1) for when no real text is given: the
// calibration windows, the held-out perplexity segments and the healing text, each its own draw.
// Every sequence is sampled after the start token: BOS, or EOS where the vocabulary has no BOS.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../formats/atomic-write.js';
import { generate } from '../../model/generate.js';
import type { LlamaInference } from '../../model/inference.js';
import type { StartToken, Tokenizer } from '../../text/tokenizer.js';

export interface SelfSamples {
  seqLen: number;
  seed: number;
  /** The token every sequence starts with (absent in files written before it was recorded: BOS). */
  start?: StartToken;
  /** Each a full window: the start token then seqLen-1 sampled tokens. */
  calib: number[][];
  eval: number[][];
  heal: number[][];
}

export const SELF_SAMPLES_FILE = 'self-samples.json';
export const SELF_HEAL_TEXT = 'self-heal.txt';

const CHUNK = 16;

/** Draws `count` sequences of seqLen tokens, in chunks of 16 rows, each chunk seeded from `seed`. */
function sampleSequences(
  model: LlamaInference,
  startId: number,
  count: number,
  seqLen: number,
  seed: number,
  onChunk: (rows: number) => void,
): number[][] {
  const out: number[][] = [];
  for (let c = 0; out.length < count; c++) {
    const rows = Math.min(CHUNK, count - out.length);
    const prompts = Array.from({ length: rows }, () => [startId]);
    const r = generate(model, prompts, {
      maxNewTokens: seqLen - 1,
      temperature: 1,
      seed: (seed + c * 7919) >>> 0,
      stopAtEos: false,
    });
    for (const t of r.tokens) out.push([startId, ...t]);
    onChunk(out.length);
  }
  return out;
}

export function drawSelfSamples(
  model: LlamaInference,
  start: StartToken,
  counts: { calib: number; eval: number; heal: number },
  seqLen: number,
  seed: number,
  onProgress: (done: number, total: number) => void,
): SelfSamples {
  if (seqLen > model.config.maxSeqLen)
    throw new RangeError(
      `--seq-len ${seqLen} exceeds the model's context of ${model.config.maxSeqLen} tokens`,
    );
  const total = counts.calib + counts.eval + counts.heal;
  let before = 0;
  const draw = (n: number, streamSeed: number): number[][] => {
    const rows = sampleSequences(model, start.id, n, seqLen, streamSeed, (d) =>
      onProgress(before + d, total),
    );
    before += n;
    return rows;
  };
  return {
    seqLen,
    seed,
    start,
    calib: draw(counts.calib, seed),
    eval: draw(counts.eval, seed + 1),
    heal: draw(counts.heal, seed + 2),
  };
}

/** Writes the samples (ids) and the healing samples decoded as text, documents at blank lines. */
export function writeSelfSamples(dir: string, s: SelfSamples, tokenizer: Tokenizer): void {
  const enc = new TextEncoder();
  writeFileAtomic(join(dir, SELF_SAMPLES_FILE), [enc.encode(JSON.stringify(s) + '\n')]);
  if (s.heal.length > 0) {
    const text = s.heal
      .map((ids) =>
        tokenizer
          .decode(ids, { skipSpecial: true })
          .replace(/\n\s*\n/g, '\n')
          .trim(),
      )
      .join('\n\n');
    writeFileAtomic(join(dir, SELF_HEAL_TEXT), [enc.encode(text + '\n')]);
  }
}

export function readSelfSamples(scoreDir: string): SelfSamples {
  const file = join(scoreDir, SELF_SAMPLES_FILE);
  if (!existsSync(file)) throw new Error(`${file}: missing; redo scoring with --force score`);
  return JSON.parse(readFileSync(file, 'utf8')) as SelfSamples;
}
