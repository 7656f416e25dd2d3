// What the fuzzer attacks: per format, the real fixture files it starts from, how one case damages
// them, and the loader that must either load the result or fail with a clean error.
import { existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTaskQuestions } from '../src/eval/tasks/task-rows.js';
import { TASKS } from '../src/eval/tasks/definitions.js';
import { checkFiniteWeights } from '../src/formats/finite-weights.js';
import { loadModel, saveModel } from '../src/formats/load.js';
import { readPeftAdapter, writePeftAdapter, peftLoraConfig } from '../src/formats/peft-adapter.js';
import { plainTokenizerKeys } from '../src/pipeline/gguf-tokenizer-keys.js';
import { loadLlama2cTokenizer, loadTokenizerJson, tokenizerFromGguf } from '../src/text/tokenizer.js';
import type { Tokenizer } from '../src/text/tokenizer.js';
import type { Random } from './fuzz-mutations.js';
import {
  seedTaskRows,
  seedTokenizerJson,
  seedWeights,
  writeSeedGguf,
  writeSeedLlama2c,
  writeSeedTokBin,
} from './fuzz-seeds.js';
import { BYTE_MUTATIONS, concat, int, mutateBytes, mutateJsonText, pick } from './fuzz-mutations.js';

type FileKind = 'binary' | 'json' | 'jsonl' | 'safetensors' | 'gzip';

interface TargetFile {
  name: string;
  kind: FileKind;
}

export interface FuzzTarget {
  name: string;
  /** Writes the intact seed files into `dir`. */
  setup(dir: string): void;
  /** The files a case may damage (one per case). */
  files: TargetFile[];
  /** Loads what `dir` holds the way the commands do; throws on bad input. */
  load(dir: string): void;
}

/** Encodes and decodes a little text, so a tokenizer that loads also has to work. */
function exercise(t: Tokenizer): void {
  const ids = t.encode('Once upon a time, a little girl named Lily.', { bos: true, eos: false });
  t.decode(ids);
}

function hfFolder(dir: string): void {
  saveModel(seedWeights(), join(dir, 'model'), 'hf');
}

export const TARGETS: FuzzTarget[] = [
  {
    name: 'safetensors',
    setup: hfFolder,
    files: [{ name: 'model/model.safetensors', kind: 'safetensors' }],
    load(dir) {
      const m = loadModel(join(dir, 'model'));
      checkFiniteWeights(m.weights, join(dir, 'model/model.safetensors'));
    },
  },
  {
    name: 'gguf',
    setup: (dir) => writeSeedGguf(join(dir, 'model.gguf')),
    files: [{ name: 'model.gguf', kind: 'binary' }],
    load(dir) {
      const path = join(dir, 'model.gguf');
      const m = loadModel(path);
      checkFiniteWeights(m.weights, path);
      exercise(tokenizerFromGguf(plainTokenizerKeys(m.ggufMetadata ?? new Map()), path));
    },
  },
  {
    name: 'llama2c',
    setup: (dir) => writeSeedLlama2c(join(dir, 'model.bin')),
    files: [{ name: 'model.bin', kind: 'binary' }],
    load(dir) {
      const path = join(dir, 'model.bin');
      checkFiniteWeights(loadModel(path).weights, path);
    },
  },
  {
    name: 'config.json',
    setup: hfFolder,
    files: [{ name: 'model/config.json', kind: 'json' }],
    load: (dir) => void loadModel(join(dir, 'model')),
  },
  {
    name: 'tokenizer.json',
    setup: (dir) => writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(seedTokenizerJson())),
    files: [{ name: 'tokenizer.json', kind: 'json' }],
    load: (dir) => exercise(loadTokenizerJson(join(dir, 'tokenizer.json'))),
  },
  {
    name: 'tok.bin',
    setup: (dir) => writeSeedTokBin(join(dir, 'tok512.bin')),
    files: [{ name: 'tok512.bin', kind: 'binary' }],
    load: (dir) => exercise(loadLlama2cTokenizer(join(dir, 'tok512.bin'), 512)),
  },
  {
    name: 'peft-adapter',
    setup(dir) {
      const w = seedWeights();
      const pairs = new Map();
      for (const name of [
        'model.layers.0.self_attn.q_proj.weight',
        'model.layers.1.self_attn.v_proj.weight',
      ]) {
        const [out, inp] = w.tensors.get(name)!.shape;
        const a = { dtype: 'f32' as const, shape: [2, inp], data: new Float32Array(2 * inp).fill(0.01) };
        const b = { dtype: 'f32' as const, shape: [out, 2], data: new Float32Array(out * 2).fill(0.02) };
        pairs.set(name, { a, b });
      }
      mkdirSync(join(dir, 'adapter'));
      const config = peftLoraConfig({
        base: null,
        r: 2,
        alpha: 4,
        dropout: 0,
        targetModules: ['q_proj', 'v_proj'],
      });
      writePeftAdapter(join(dir, 'adapter'), config, pairs);
    },
    files: [
      { name: 'adapter/adapter_model.safetensors', kind: 'safetensors' },
      { name: 'adapter/adapter_config.json', kind: 'json' },
    ],
    load: (dir) => void readPeftAdapter(join(dir, 'adapter')),
  },
  {
    name: 'task',
    setup(dir) {
      const head = seedTaskRows();
      writeFileSync(join(dir, 'task.jsonl'), head);
      writeFileSync(join(dir, 'task.jsonl.gz'), gzipSync(head));
    },
    files: [
      { name: 'task.jsonl', kind: 'jsonl' },
      { name: 'task.jsonl.gz', kind: 'gzip' },
    ],
    load(dir) {
      const piqa = TASKS.find((t) => t.name === 'piqa')!;
      for (const f of ['task.jsonl', 'task.jsonl.gz'])
        if (existsSync(join(dir, f))) readTaskQuestions(piqa, join(dir, f));
    },
  },
];

/** Damages a safetensors header: overlapping or out-of-range offsets, wrong dtypes, bad shapes. */
function mutateSafetensorsHeader(bytes: Uint8Array, r: Random, deep: number): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: unknown; shape: unknown; data_offsets: unknown }
  >;
  const data = bytes.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = pick(r, names);
  const e = header[name];
  const [begin, end] = e.data_offsets as number[];
  let text: string;
  switch (int(r, 9)) {
    case 0: {
      const other = header[pick(r, names)];
      e.data_offsets = [...(other.data_offsets as number[])];
      break;
    }
    case 1:
      e.data_offsets = [begin, end + data.length + 1 + int(r, 1 << 20)];
      break;
    case 2:
      e.data_offsets = [begin - 4 * (1 + int(r, 4)), end];
      break;
    case 3:
      e.dtype = pick(r, ['I8', 'F64', 'BOOL', 'F8_E4M3', 'f32', 7, null, 'BF16', 'F16']);
      break;
    case 4:
      e.shape = pick(r, [[], [-1], [2 ** 53], [2 ** 31, 2 ** 31, 2 ** 31], [1.5], ['4'], null, [0]]);
      break;
    case 5:
      e.shape = [...(e.shape as number[])].reverse();
      break;
    case 6:
      e.data_offsets = pick(r, [
        [end, begin],
        [begin],
        [begin, end, 0],
        null,
        [2 ** 60, 2 ** 60 + 4],
        ['0', '4'],
      ]);
      break;
    case 7:
      delete header[name];
      break;
    default: {
      text = mutateJsonText(JSON.stringify(header), r, deep) ?? '{}';
      return encodeHeader(text, data, r);
    }
  }
  return encodeHeader(JSON.stringify(header), data, r);
}

function encodeHeader(text: string, data: Uint8Array, r: Random): Uint8Array {
  const headerBytes = new TextEncoder().encode(text);
  const length = new Uint8Array(8);
  // Sometimes the length field lies about the header it precedes.
  const claimed = r() < 0.1 ? headerBytes.length + pick(r, [-1, 1, 7, 1 << 20]) : headerBytes.length;
  new DataView(length.buffer).setBigUint64(0, BigInt(Math.max(0, claimed)), true);
  return concat([length, headerBytes, data]);
}

function safetensorsDataStart(bytes: Uint8Array): number {
  return 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

/** One case: which file was damaged and how, and the damaged bytes. */
export interface FuzzCase {
  file: string;
  mutation: string;
  bytes: Uint8Array;
}

export function makeCase(
  target: FuzzTarget,
  seedFiles: Map<string, Uint8Array>,
  r: Random,
  deepNesting: number,
): FuzzCase {
  const f = pick(r, target.files);
  const original = seedFiles.get(f.name)!;
  const structural = f.kind !== 'binary' && r() < 0.5;
  if (structural && f.kind === 'safetensors') {
    const out = mutateSafetensorsHeader(original, r, deepNesting);
    if (out) return { file: f.name, mutation: 'safetensors-header', bytes: out };
  }
  if (structural && f.kind === 'json') {
    const text = mutateJsonText(new TextDecoder().decode(original), r, deepNesting);
    if (text !== null)
      return { file: f.name, mutation: 'json-structure', bytes: new TextEncoder().encode(text) };
  }
  if (structural && (f.kind === 'jsonl' || f.kind === 'gzip')) {
    const plain = f.kind === 'gzip' ? (seedFiles.get('task.jsonl') ?? original) : original;
    const lines = new TextDecoder().decode(plain).split('\n');
    const i = int(r, lines.length - 1);
    lines[i] = mutateJsonText(lines[i], r, deepNesting) ?? lines[i];
    const text = new TextEncoder().encode(lines.join('\n'));
    return { file: f.name, mutation: 'jsonl-row', bytes: f.kind === 'gzip' ? gzipSync(text) : text };
  }
  const kind = pick(r, BYTE_MUTATIONS);
  const dataStart =
    f.kind === 'safetensors' ? safetensorsDataStart(original) : Math.floor(original.length / 5);
  return { file: f.name, mutation: kind, bytes: mutateBytes(original, kind, r, dataStart) };
}

/** Replaces a file with a new inode, so no mapping of the previous case ever sees it change. */
export function replaceFile(path: string, bytes: Uint8Array): void {
  rmSync(path, { force: true });
  writeFileSync(path, bytes);
}
