// The legacy llama2.c checkpoint (`run.c`'s format): a 7-int32 header, then f32 weights in a fixed
// order. Read with a check that the header's shapes fit the file exactly (run.c does not check),
// q/k rows moved to the half-split layout; written back the same way so `convert` can go back.
import { statSync } from 'node:fs';
import type { LlamaConfig } from '../model/config.js';
import { validateConfig } from '../model/config.js';
import { freshF32 } from '../tensor/weight-values.js';
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { mmapFile } from '../native/index.js';
import { bytesOf, writeFileAtomic } from './atomic-write.js';
import { ByteReader, checkedMultiply } from './byte-reader.js';
import { FormatError } from './errors.js';
import { halfSplitToInterleaved, interleavedToHalfSplit } from './rotary-permutation.js';

const HEADER_BYTES = 7 * 4;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

export interface Llama2cContents {
  weights: ModelWeights;
  header: Llama2cHeader;
  /** The stored (unused) RoPE tables, freq_cis_real then freq_cis_imag, kept so a rewrite is byte-identical. */
  ropeTables: Float32Array;
}

/** One run of tensors in file order: HF name per layer (or once), and its [out, in] shape. */
interface Segment {
  name: (layer: number) => string;
  shape: number[];
  perLayer: boolean;
}

function segments(h: Llama2cHeader): Segment[] {
  const headSize = h.dim / h.nHeads;
  const kvDim = h.nKvHeads * headSize;
  const layer = (suffix: string) => (i: number) => `model.layers.${i}.${suffix}`;
  return [
    { name: () => 'model.embed_tokens.weight', shape: [h.vocabSize, h.dim], perLayer: false },
    { name: layer('input_layernorm.weight'), shape: [h.dim], perLayer: true },
    { name: layer('self_attn.q_proj.weight'), shape: [h.dim, h.dim], perLayer: true },
    { name: layer('self_attn.k_proj.weight'), shape: [kvDim, h.dim], perLayer: true },
    { name: layer('self_attn.v_proj.weight'), shape: [kvDim, h.dim], perLayer: true },
    { name: layer('self_attn.o_proj.weight'), shape: [h.dim, h.dim], perLayer: true },
    { name: layer('post_attention_layernorm.weight'), shape: [h.dim], perLayer: true },
    { name: layer('mlp.gate_proj.weight'), shape: [h.hiddenDim, h.dim], perLayer: true },
    { name: layer('mlp.down_proj.weight'), shape: [h.dim, h.hiddenDim], perLayer: true },
    { name: layer('mlp.up_proj.weight'), shape: [h.hiddenDim, h.dim], perLayer: true },
    { name: () => 'model.norm.weight', shape: [h.dim], perLayer: false },
  ];
}

function ropeTableLength(h: Llama2cHeader): number {
  return (h.seqLen * (h.dim / h.nHeads)) / 2;
}

function readHeader(r: ByteReader): Llama2cHeader {
  const file = r.file;
  const fields = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'];
  const v = fields.map((f) => r.i32(`header.${f}`));
  for (let i = 0; i < fields.length; i++) {
    const value = i === 5 ? Math.abs(v[i]) : v[i];
    if (value < 1) throw new FormatError(file, `header.${fields[i]}`, `a positive integer (got ${v[i]})`);
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = v;
  if (dim % nHeads !== 0 || (dim / nHeads) % 2 !== 0)
    throw new FormatError(
      file,
      'header.n_heads',
      `a divisor of dim ${dim} giving an even head size (got ${nHeads})`,
    );
  if (nHeads % nKvHeads !== 0)
    throw new FormatError(file, 'header.n_kv_heads', `a divisor of n_heads ${nHeads} (got ${nKvHeads})`);
  return {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize: Math.abs(vocab),
    seqLen,
    sharedClassifier: vocab > 0,
  };
}

/** The number of f32 values the header promises after it, checked against overflow. */
function expectedFloats(h: Llama2cHeader, file: string): number {
  let total = 0;
  for (const s of segments(h)) {
    const one = s.shape.reduce((a, d) => checkedMultiply(a, d, file, 'header shapes'), 1);
    total += s.perLayer ? checkedMultiply(one, h.nLayers, file, 'header shapes') : one;
  }
  total += 2 * ropeTableLength(h);
  if (!h.sharedClassifier) total += checkedMultiply(h.vocabSize, h.dim, file, 'header shapes');
  checkedMultiply(total, 4, file, 'header shapes');
  return total;
}

export function configFromLlama2cHeader(h: Llama2cHeader, file: string): LlamaConfig {
  const config: LlamaConfig = {
    architecture: 'llama',
    vocabSize: h.vocabSize,
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    numLayers: h.nLayers,
    numHeads: h.nHeads,
    numKvHeads: h.nKvHeads,
    headDim: h.dim / h.nHeads,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    maxSeqLen: h.seqLen,
    tieWordEmbeddings: h.sharedClassifier,
    attentionBias: false,
    qkNorm: false,
    ropeScaling: null,
    ropeFreqFactors: null,
    bosTokenId: 1,
    eosTokenId: 2,
    prunedAttention: [],
    prunedMlp: [],
  };
  validateConfig(config, file);
  return config;
}

/** Parses a llama2.c checkpoint held in `buffer`; `file` names it in errors. */
export function parseLlama2c(buffer: ArrayBuffer, file: string): Llama2cContents {
  const r = new ByteReader(buffer, file);
  const header = readHeader(r);
  const floats = expectedFloats(header, file);
  const available = r.remaining;
  if (available !== floats * 4)
    throw new FormatError(
      file,
      'weights',
      `${floats * 4} bytes of f32 weights after the header, as its shapes require (the file has ${available})`,
    );
  const config = configFromLlama2cHeader(header, file);
  const tensors = new Map<string, WeightTensor>();
  const take = (shape: number[]): Float32Array => {
    const n = shape.reduce((a, d) => a * d, 1);
    const view = new Float32Array(buffer, r.offset, n);
    r.skip(n * 4, 'weights');
    return view;
  };
  for (const s of segments(header)) {
    const count = s.perLayer ? header.nLayers : 1;
    for (let i = 0; i < count; i++) {
      let t: WeightTensor = { dtype: 'f32', shape: [...s.shape], data: take(s.shape) };
      const name = s.name(i);
      if (name.endsWith('q_proj.weight')) t = interleavedToHalfSplit(t, header.nHeads);
      if (name.endsWith('k_proj.weight')) t = interleavedToHalfSplit(t, header.nKvHeads);
      tensors.set(name, t);
    }
  }
  const ropeTables = take([2 * ropeTableLength(header)]);
  if (!header.sharedClassifier)
    tensors.set('lm_head.weight', {
      dtype: 'f32',
      shape: [header.vocabSize, header.dim],
      data: take([header.vocabSize, header.dim]),
    });
  return { weights: { config, tensors }, header, ropeTables };
}

/** Maps and reads a llama2.c `.bin` checkpoint. */
export function readLlama2c(path: string): Llama2cContents {
  const size = statSync(path).size;
  if (size < HEADER_BYTES)
    throw new FormatError(path, 'header', `${HEADER_BYTES} bytes (the file has ${size})`);
  return parseLlama2c(mmapFile(path), path);
}

/** The RoPE tables the llama2.c exporter stores: cos then sin of pos·theta^(-2i/headSize), in f32. */
export function llama2cRopeTables(seqLen: number, headSize: number, theta = 10000): Float32Array {
  const half = headSize / 2;
  const out = new Float32Array(2 * seqLen * half);
  for (let i = 0; i < half; i++) {
    const freq = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headSize)));
    for (let pos = 0; pos < seqLen; pos++) {
      const angle = Math.fround(pos * freq);
      out[pos * half + i] = Math.cos(angle);
      out[seqLen * half + pos * half + i] = Math.sin(angle);
    }
  }
  return out;
}

function asF32(t: WeightTensor): Float32Array {
  return freshF32(t);
}

/** The file's bytes as chunks. `ropeTables` (from a read) makes a rewrite byte-identical; otherwise they are computed. */
export function encodeLlama2c(
  weights: ModelWeights,
  ropeTables?: Float32Array,
  file = 'llama2.c output',
): Uint8Array[] {
  const c = weights.config;
  const unsupported = (field: string, expected: string): never => {
    throw new FormatError(file, field, `${expected} (the llama2.c format cannot store it)`);
  };
  if (c.prunedAttention.length > 0 || c.prunedMlp.length > 0)
    unsupported('prunedAttention/prunedMlp', 'no pruned sublayers');
  if (c.attentionBias) unsupported('attentionBias', 'false');
  if (c.qkNorm) unsupported('qkNorm', 'false (no q/k norms)');
  if (c.ropeScaling || c.ropeFreqFactors) unsupported('ropeScaling', 'null (plain RoPE)');
  if (c.headDim * c.numHeads !== c.hiddenSize)
    unsupported('headDim', `hiddenSize / numHeads = ${c.hiddenSize / c.numHeads}`);
  const header: Llama2cHeader = {
    dim: c.hiddenSize,
    hiddenDim: c.intermediateSize,
    nLayers: c.numLayers,
    nHeads: c.numHeads,
    nKvHeads: c.numKvHeads,
    vocabSize: c.vocabSize,
    seqLen: c.maxSeqLen,
    sharedClassifier: c.tieWordEmbeddings,
  };
  const head = new Int32Array([
    header.dim,
    header.hiddenDim,
    header.nLayers,
    header.nHeads,
    header.nKvHeads,
    header.sharedClassifier ? header.vocabSize : -header.vocabSize,
    header.seqLen,
  ]);
  const chunks: Uint8Array[] = [bytesOf(head)];
  const tensor = (name: string, shape: number[]): WeightTensor => {
    const t = weights.tensors.get(name);
    if (!t) throw new FormatError(file, name, 'a weight of the model (it is missing)');
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new FormatError(file, `${name}.shape`, `[${shape}] (got [${t.shape}])`);
    return t;
  };
  for (const s of segments(header)) {
    const count = s.perLayer ? header.nLayers : 1;
    for (let i = 0; i < count; i++) {
      const name = s.name(i);
      let t = tensor(name, s.shape);
      if (name.endsWith('q_proj.weight')) t = halfSplitToInterleaved(t, header.nHeads);
      if (name.endsWith('k_proj.weight')) t = halfSplitToInterleaved(t, header.nKvHeads);
      chunks.push(bytesOf(asF32(t)));
    }
  }
  const tables = ropeTables ?? llama2cRopeTables(header.seqLen, c.headDim, c.ropeTheta);
  if (tables.length !== 2 * ropeTableLength(header))
    throw new FormatError(file, 'ropeTables', `${2 * ropeTableLength(header)} values (got ${tables.length})`);
  chunks.push(bytesOf(tables));
  if (!header.sharedClassifier)
    chunks.push(bytesOf(asF32(tensor('lm_head.weight', [header.vocabSize, header.dim]))));
  return chunks;
}

/** Writes a llama2.c `.bin` atomically. */
export function writeLlama2c(path: string, weights: ModelWeights, ropeTables?: Float32Array): void {
  writeFileAtomic(path, encodeLlama2c(weights, ropeTables, path));
}
