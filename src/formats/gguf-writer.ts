// Writes a model as a GGUF v3 file of its llama.cpp architecture (`llama`, `qwen2`, `qwen3`) with the
// metadata keys and tensor layout llama.cpp's converter produces: matrices in their dtype, 1-D tensors
// (norms, biases) always F32, Llama 3's rope_freqs tensor, `llama` q/k rows moved back to the
// interleaved rotary layout, everything aligned to 32 bytes. Metadata of the file a model was read
// from can be carried through, with per-layer arrays cut to the kept blocks.
import type { DType, ModelWeights, WeightTensor } from '../model/weights.js';
import { weightValues } from '../tensor/weight-values.js';
import { bytesOf, writeFileAtomic } from './atomic-write.js';
import { FormatError } from './errors.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, ROPE_FREQS } from './gguf.js';
import {
  GGUF_ARCHITECTURES,
  checkGgufRope,
  ggufArchitecture,
  ggufMetadataFromConfig,
  ropeFreqsTensor,
  shortenRopeKeys,
} from './gguf-config.js';
import type { GgufMetadata, GgufValue } from './gguf-metadata.js';
import { ByteSink, ggufNumber, writeGgufValue } from './gguf-metadata.js';
import { ggmlTypeByName } from './ggml-types.js';
import { hfToGgufName } from './gguf-tensor-names.js';
import { halfSplitToInterleaved } from './rotary-permutation.js';

export interface GgufWriteOptions {
  /** general.name; defaults to the carried metadata's, else "shorten". */
  name?: string;
  /**
   * Metadata carried into the file after ours: the tokenizer's `tokenizer.ggml.*` keys, or every key
   * of the GGUF the model was read from. Keys computed from the model (general.architecture,
   * general.alignment, general.file_type, the architecture's hyperparameters, `shorten.*`) win.
   */
  metadata?: GgufMetadata;
  /**
   * For carried metadata of a file whose blocks were removed: the source's indices of the kept
   * blocks. Every carried array with one entry per source block is cut to these.
   */
  keptBlocks?: readonly number[];
}

/**
 * llama.cpp's general.file_type (LLAMA_FTYPE_*) for a model whose matrices are mostly `dtype`: ALL_F32,
 * MOSTLY_F16, MOSTLY_BF16, or the quantized mix that type heads (Q4_K → Q4_K_M, ...).
 */
const FILE_TYPE: Record<DType, number> = {
  f32: 0,
  f16: 1,
  bf16: 32,
  q4_0: 2,
  q4_1: 3,
  q8_0: 7,
  q5_0: 8,
  q5_1: 9,
  q2_k: 10,
  q3_k: 12,
  q4_k: 15,
  q5_k: 17,
  q6_k: 18,
  iq4_nl: 25,
  iq4_xs: 30,
};

const u32 = (value: number): GgufValue => ({ type: 'u32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });

/** The dtype most matrices have: what general.file_type describes. */
function dominantDtype(weights: ModelWeights): WeightTensor['dtype'] {
  const counts = new Map<WeightTensor['dtype'], number>();
  for (const t of weights.tensors.values())
    if (t.shape.length === 2) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + t.data.length);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'f32';
}

/** A carried array cut to the kept blocks when it has one entry per source block. */
function cutPerLayer(v: GgufValue, sourceBlocks: number | undefined, kept?: readonly number[]): GgufValue {
  if (v.type !== 'array' || !kept || sourceBlocks === undefined || v.value.length !== sourceBlocks) return v;
  return { ...v, value: kept.map((i) => v.value[i]) };
}

function modelMetadata(weights: ModelWeights, options: GgufWriteOptions, file: string): GgufMetadata {
  const c = weights.config;
  const arch = ggufArchitecture(c.architecture);
  const carried = options.metadata ?? new Map<string, GgufValue>();
  const carriedName = carried.get('general.name');
  const md: GgufMetadata = new Map<string, GgufValue>([
    ['general.architecture', str(arch)],
    [
      'general.name',
      options.name !== undefined
        ? str(options.name)
        : carriedName?.type === 'string'
          ? carriedName
          : str('shorten'),
    ],
    ...ggufMetadataFromConfig(c),
    ['general.file_type', u32(fileType(weights, carried, file))],
  ]);
  // Not llama.cpp keys: what GGUF cannot otherwise say, so our own reader restores the config.
  if (c.architecture === 'mistral') md.set('shorten.architecture', str(c.architecture));
  for (const [k, v] of shortenRopeKeys(c)) md.set(k, v);
  if (c.prunedAttention.length > 0)
    md.set('shorten.pruned_attention', { type: 'array', itemType: 'u32', value: [...c.prunedAttention] });
  if (c.prunedMlp.length > 0)
    md.set('shorten.pruned_mlp', { type: 'array', itemType: 'u32', value: [...c.prunedMlp] });
  if (!carried.has('tokenizer.ggml.bos_token_id')) md.set('tokenizer.ggml.bos_token_id', u32(c.bosTokenId));
  if (!carried.has('tokenizer.ggml.eos_token_id')) md.set('tokenizer.ggml.eos_token_id', u32(c.eosTokenId));
  const carriedArch = carried.get('general.architecture');
  const sourceArch = carriedArch?.type === 'string' ? String(carriedArch.value) : arch;
  const sourceBlocks = carried.has(`${sourceArch}.block_count`)
    ? ggufNumber(carried, `${sourceArch}.block_count`, file)
    : undefined;
  for (const [k, v] of carried) {
    if (md.has(k) || k.startsWith('shorten.') || k === 'general.alignment') continue;
    // Hyperparameters of another architecture would contradict ours.
    if (k.startsWith(`${sourceArch}.`) && sourceArch !== arch) continue;
    md.set(k, cutPerLayer(v, sourceBlocks, options.keptBlocks));
  }
  return md;
}

/** llama.cpp's file type: the carried one for a quantized model (its mix is not ours to name), else from the dtype. */
function fileType(weights: ModelWeights, carried: GgufMetadata, file: string): number {
  const dtype = dominantDtype(weights);
  const stored = carried.has('general.file_type')
    ? ggufNumber(carried, 'general.file_type', file)
    : undefined;
  return dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' || stored === undefined
    ? FILE_TYPE[dtype]
    : stored;
}

/** A 1-D tensor as F32, as llama.cpp's converter writes norms and biases whatever the model's dtype. */
function asF32(t: WeightTensor): WeightTensor {
  if (t.dtype === 'f32') return t;
  return { dtype: 'f32', shape: [...t.shape], data: Float32Array.from(weightValues(t, 'f32')) };
}

/** Tensors in llama.cpp's usual order: embedding, rope factors, final norm, classifier, then block by block. */
function orderedTensors(weights: ModelWeights, file: string): [string, WeightTensor][] {
  const rank = (hfName: string): [number, number] => {
    const m = /^model\.layers\.(\d+)\./.exec(hfName);
    return m ? [1, Number(m[1])] : [0, 0];
  };
  const out: [string, WeightTensor][] = [];
  const names = [...weights.tensors.keys()].sort((a, b) => {
    const [ga, la] = rank(a);
    const [gb, lb] = rank(b);
    return ga - gb || la - lb;
  });
  const c = weights.config;
  const interleave = GGUF_ARCHITECTURES[ggufArchitecture(c.architecture)].interleavedRotary;
  const freqs = ropeFreqsTensor(c);
  if (freqs) out.push([ROPE_FREQS, { dtype: 'f32', shape: [freqs.length], data: freqs }]);
  for (const hfName of names) {
    const ggufName = hfToGgufName(hfName);
    if (!ggufName) throw new FormatError(file, hfName, 'a LLaMA-family weight name that GGUF can hold');
    let t = weights.tensors.get(hfName)!;
    if (t.shape.length === 1) t = asF32(t);
    const m = /\.self_attn\.([qk])_proj\.(weight|bias)$/.exec(hfName);
    if (m && interleave) t = halfSplitToInterleaved(t, m[1] === 'q' ? c.numHeads : c.numKvHeads);
    out.push([ggufName, t]);
  }
  return out;
}

/** The GGUF file as chunks (header with padding, then each tensor followed by its padding). */
export function encodeGguf(
  weights: ModelWeights,
  options: GgufWriteOptions = {},
  file = 'GGUF output',
): Uint8Array[] {
  checkGgufRope(weights.config, file);
  const alignment = GGUF_DEFAULT_ALIGNMENT;
  const metadata = modelMetadata(weights, options, file);
  const tensors = orderedTensors(weights, file);
  const head = new ByteSink();
  head.u32(GGUF_MAGIC);
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.size);
  for (const [key, value] of metadata) {
    head.string(key);
    writeGgufValue(head, value, key);
  }
  let offset = 0;
  const padding = (n: number) => new Uint8Array((alignment - (n % alignment)) % alignment);
  const data: Uint8Array[] = [];
  for (const [name, t] of tensors) {
    head.string(name);
    head.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) head.u64(t.shape[d]);
    head.u32(ggmlTypeByName(t.dtype)!.id);
    head.u64(offset);
    const bytes = bytesOf(t.data);
    data.push(bytes, padding(bytes.byteLength));
    offset += bytes.byteLength + padding(bytes.byteLength).byteLength;
  }
  head.padTo(alignment);
  return [head.result(), ...data];
}

/** Writes a GGUF v3 file atomically (temp name, fsync, rename). */
export function writeGguf(path: string, weights: ModelWeights, options: GgufWriteOptions = {}): void {
  writeFileAtomic(path, encodeGguf(weights, options, path));
}
