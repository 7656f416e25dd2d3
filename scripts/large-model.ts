// A 7B-shaped checkpoint on a small machine: writes a synthetic bf16 HF folder (32 blocks, width
// 4096, MLP 11008, sharded safetensors, streamed to disk) or a Q4_K_M GGUF of the same shape
// (--format q4_k_m), and runs score (magnitude, ppl, taylor) and prune on it as child processes,
// printing each one's peak resident memory against the checkpoint's size + 2 GiB.
// Usage: node --import tsx scripts/large-model.ts [--format bf16|q4_k_m] [--dir D] [--keep] [--reuse] [--layers N]
//          [--only magnitude,ppl,taylor,prune]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/formats/atomic-write.js';
import { hfJsonFromConfig } from '../src/formats/hf-config.js';
import type { LlamaConfig } from '../src/model/config.js';
import { seededRandom } from '../src/model/sampling.js';
import { layerPrefix } from '../src/model/weights.js';
import { f32ToBf16 } from '../src/native/index.js';
import { loadTokenizerJson } from '../src/text/tokenizer.js';
import { writeQ4kmCheckpoint } from './large-model-q4km.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = process.env.SHORTEN_FIXTURES ?? join(ROOT, '../shared/fixtures');
const DEFAULT_TOKENIZER = join(ROOT, 'models/default/tokenizer.json');
const TINYSTORIES = join(FIXTURES, 'text/tinystories_validation_head.txt');
const CLI = join(ROOT, 'test/reliability/shorten-cli.ts');
const GiB = 1024 ** 3;

const USAGE =
  'usage: node --import tsx scripts/large-model.ts [--format bf16|q4_k_m] [--dir D] [--keep] [--reuse] [--layers N] [--only magnitude,ppl,taylor,prune]';

// Strict: an unknown flag (--help included) prints the usage instead of starting a 7 GB write.
const args = (() => {
  try {
    return parseArgs({
      options: {
        format: { type: 'string' },
        dir: { type: 'string' },
        keep: { type: 'boolean' },
        reuse: { type: 'boolean' },
        layers: { type: 'string' },
        only: { type: 'string' },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();

function argValue(name: string): string | undefined {
  return args[name.replace(/^--/, '') as 'format' | 'dir' | 'layers' | 'only'];
}

const layers = Number(argValue('--layers') ?? 32);
const config: LlamaConfig = {
  architecture: 'llama',
  vocabSize: 32000,
  hiddenSize: 4096,
  intermediateSize: 11008,
  numLayers: layers,
  numHeads: 32,
  numKvHeads: 32,
  headDim: 128,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  maxSeqLen: 2048,
  tieWordEmbeddings: false,
  attentionBias: false,
  qkNorm: false,
  ropeScaling: null,
  ropeFreqFactors: null,
  bosTokenId: 1,
  eosTokenId: 2,
  prunedAttention: [],
  prunedMlp: [],
};

/** A pool of normal(0, 0.02) bf16 values; tensors are windows of it at random offsets. */
const POOL_ELEMENTS = 1 << 25;
function normalPool(seed: number): Uint16Array {
  const random = seededRandom(seed);
  const v = new Float32Array(POOL_ELEMENTS);
  for (let i = 0; i < v.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const t = 2 * Math.PI * random();
    v[i] = 0.02 * r * Math.cos(t);
    v[i + 1] = 0.02 * r * Math.sin(t);
  }
  return f32ToBf16(v);
}

interface PlannedTensor {
  name: string;
  shape: number[];
  /** Norm gains are ones; matrices random. */
  ones: boolean;
}

function shardPlan(c: LlamaConfig, layersPerShard: number): PlannedTensor[][] {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const shards: PlannedTensor[][] = [
    [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, H], ones: false }],
  ];
  for (let l = 0; l < c.numLayers; l++) {
    if (l % layersPerShard === 0) shards.push([]);
    const p = layerPrefix(l);
    shards[shards.length - 1].push(
      { name: `${p}input_layernorm.weight`, shape: [H], ones: true },
      { name: `${p}self_attn.q_proj.weight`, shape: [H, H], ones: false },
      { name: `${p}self_attn.k_proj.weight`, shape: [H, H], ones: false },
      { name: `${p}self_attn.v_proj.weight`, shape: [H, H], ones: false },
      { name: `${p}self_attn.o_proj.weight`, shape: [H, H], ones: false },
      { name: `${p}post_attention_layernorm.weight`, shape: [H], ones: true },
      { name: `${p}mlp.gate_proj.weight`, shape: [I, H], ones: false },
      { name: `${p}mlp.up_proj.weight`, shape: [I, H], ones: false },
      { name: `${p}mlp.down_proj.weight`, shape: [H, I], ones: false },
    );
  }
  shards.push([
    { name: 'model.norm.weight', shape: [H], ones: true },
    { name: 'lm_head.weight', shape: [c.vocabSize, H], ones: false },
  ]);
  return shards;
}

/** One shard's bytes, produced chunk by chunk so no more than a pool window is ever in memory. */
function* shardChunks(
  tensors: PlannedTensor[],
  pool: Uint16Array,
  random: () => number,
): Generator<Uint8Array> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 2;
    header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  yield length;
  yield headerBytes;
  const ones = new Uint16Array(config.hiddenSize).fill(0x3f80);
  for (const t of tensors) {
    let left = t.shape.reduce((a, b) => a * b, 1);
    if (t.ones) {
      yield new Uint8Array(ones.buffer, 0, left * 2);
      continue;
    }
    while (left > 0) {
      const start = Math.floor(random() * (pool.length / 2));
      const n = Math.min(left, pool.length - start);
      yield new Uint8Array(pool.buffer, start * 2, n * 2);
      left -= n;
    }
  }
}

function writeCheckpoint(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const pool = normalPool(7);
  const random = seededRandom(11);
  const shards = shardPlan(config, 4);
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((tensors, i) => {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    writeFileAtomic(join(dir, name), shardChunks(tensors, pool, random));
    for (const t of tensors) weightMap[t.name] = name;
    total += statSync(join(dir, name)).size;
    process.stderr.write(`wrote ${name} (${(total / GiB).toFixed(2)} GiB so far)\n`);
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2),
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfJsonFromConfig(config, 'bf16'), null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(DEFAULT_TOKENIZER));
  return total;
}

interface Measured {
  command: string;
  exitCode: number;
  peakRssBytes: number;
  wallSeconds: number;
  stdoutTail: string;
}

/** Runs the CLI under GNU time; its "Maximum resident set size" is the child's VmHWM. */
function measure(label: string, args: string[]): Measured {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const m: Measured = {
    command: label,
    exitCode: r.status ?? -1,
    peakRssBytes: rss ? Number(rss[1]) * 1024 : NaN,
    wallSeconds,
    stdoutTail: r.stdout.slice(-400),
  };
  if (m.exitCode !== 0) process.stderr.write(r.stderr.slice(-3000));
  return m;
}

/** Bytes of a checkpoint: a file, or a folder's safetensors shards. */
function checkpointBytes(path: string): number {
  if (!statSync(path).isDirectory()) return statSync(path).size;
  return readdirSync(path)
    .filter((n) => n.endsWith('.safetensors'))
    .reduce((sum, n) => sum + statSync(join(path, n)).size, 0);
}

/** Calibration text: TinyStories from the fixtures, else sentences made here (scoring needs words, not meaning). */
function calibrationFile(base: string): string {
  if (existsSync(TINYSTORIES)) return TINYSTORIES;
  const path = join(base, 'calibration.txt');
  const words = ['the', 'little', 'dog', 'ran', 'to', 'a', 'big', 'tree', 'and', 'saw', 'bird', 'happy'];
  const random = seededRandom(5);
  const doc = (): string =>
    Array.from({ length: 300 }, () => words[Math.floor(random() * words.length)]).join(' ');
  writeFileSync(path, Array.from({ length: 8 }, doc).join('\n\n'));
  return path;
}

function main(): void {
  const base = argValue('--dir') ?? mkdtempSync(join(tmpdir(), 'shorten-large-model-'));
  const format = argValue('--format') ?? 'bf16';
  if (format !== 'bf16' && format !== 'q4_k_m')
    throw new Error(`--format must be bf16 or q4_k_m (got ${format})`);
  const model = join(base, format === 'bf16' ? 'model-7b-shaped' : 'model-7b-shaped-Q4_K_M.gguf');
  const keep = args.keep === true;
  const results: Measured[] = [];
  let weightBytes = 0;
  try {
    mkdirSync(base, { recursive: true });
    const t0 = performance.now();
    // --reuse: measure a checkpoint an earlier --keep run left in --dir.
    weightBytes =
      args.reuse === true && existsSync(model)
        ? checkpointBytes(model)
        : format === 'bf16'
          ? writeCheckpoint(model)
          : writeQ4kmCheckpoint(model, config, loadTokenizerJson(DEFAULT_TOKENIZER));
    const writeSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`checkpoint written in ${writeSeconds.toFixed(0)} s\n`);
    const calib = calibrationFile(base);
    const only = argValue('--only')?.split(',');
    const wanted = (name: string): boolean => !only || only.includes(name);
    const scoring = [
      '--calib',
      calib,
      '--samples',
      '2',
      '--seq-len',
      '128',
      '--protect-first',
      '0',
      '--protect-last',
      '0',
      '--json',
    ];
    if (wanted('magnitude'))
      results.push(
        measure('score --criterion magnitude', ['score', model, '--criterion', 'magnitude', '--json']),
      );
    if (wanted('ppl'))
      results.push(
        measure('score --criterion ppl (2 x 128 tokens)', ['score', model, '--criterion', 'ppl', ...scoring]),
      );
    if (wanted('taylor'))
      results.push(
        measure('score --criterion taylor (2 x 128 tokens)', [
          'score',
          model,
          '--criterion',
          'taylor',
          ...scoring,
        ]),
      );
    if (wanted('prune'))
      results.push(
        measure('prune --remove 20% (magnitude)', [
          'prune',
          model,
          '--criterion',
          'magnitude',
          '--remove',
          '20%',
          '--out',
          join(base, format === 'bf16' ? 'pruned' : 'pruned-Q4_K_M.gguf'),
          '--json',
        ]),
      );
  } finally {
    if (!keep) rmSync(base, { recursive: true, force: true });
  }
  const budget = weightBytes + 2 * GiB;
  const rows = results.map((r) => ({
    command: r.command,
    exit: r.exitCode,
    peakRssGiB: +(r.peakRssBytes / GiB).toFixed(2),
    seconds: +r.wallSeconds.toFixed(0),
    withinBudget: r.peakRssBytes < budget,
  }));
  const summary = {
    format,
    shape: {
      blocks: config.numLayers,
      width: config.hiddenSize,
      heads: config.numHeads,
      mlp: config.intermediateSize,
    },
    weightBytes,
    weightGiB: +(weightBytes / GiB).toFixed(2),
    budgetGiB: +(budget / GiB).toFixed(2),
    rows,
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  for (const r of results) process.stderr.write(`${r.command}: ${r.stdoutTail.trim().slice(0, 300)}\n`);
  if (rows.some((r) => r.exit !== 0 || !r.withinBudget)) process.exitCode = 1;
}

main();
