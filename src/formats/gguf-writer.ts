// Writes a model as a GGUF v3 file of the `llama` architecture with llama.cpp's metadata keys,
// tensors kept in their dtype, aligned to 32 bytes, q/k rows moved back to the interleaved layout.
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { bytesOf, writeFileAtomic } from './atomic-write.js';
import { FormatError } from './errors.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf.js';
import type { GgufMetadata, GgufValue } from './gguf-metadata.js';
import { ByteSink, writeGgufValue } from './gguf-metadata.js';
import { GGML_BF16, GGML_F16, GGML_F32 } from './ggml-types.js';
import { hfToGgufName } from './gguf-tensor-names.js';
import { halfSplitToInterleaved } from './rotary-permutation.js';

export interface GgufWriteOptions {
  /** general.name; defaults to "shorten". */
  name?: string;
  /**
   * Extra metadata written after ours, typically the tokenizer's `tokenizer.ggml.*` keys as read.
   * Keys we compute from the model (general.architecture, general.alignment, general.file_type,
   * general.name, `llama.*`, `shorten.*`) are skipped here.
   */
  metadata?: GgufMetadata;
}

const GGML_TYPE = { f32: GGML_F32, f16: GGML_F16, bf16: GGML_BF16 } as const;
/** llama.cpp's general.file_type values: ALL_F32, MOSTLY_F16, MOSTLY_BF16. */
const FILE_TYPE = { f32: 0, f16: 1, bf16: 32 } as const;

const u32 = (value: number): GgufValue => ({ type: 'u32', value });
const f32 = (value: number): GgufValue => ({ type: 'f32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });

function modelMetadata(weights: ModelWeights, options: GgufWriteOptions): GgufMetadata {
  const c = weights.config;
  const embedding = weights.tensors.get('model.embed_tokens.weight');
  const md: GgufMetadata = new Map<string, GgufValue>([
    ['general.architecture', str('llama')],
    ['general.name', str(options.name ?? 'shorten')],
    ['llama.context_length', u32(c.maxSeqLen)],
    ['llama.embedding_length', u32(c.hiddenSize)],
    ['llama.block_count', u32(c.numLayers)],
    ['llama.feed_forward_length', u32(c.intermediateSize)],
    ['llama.attention.head_count', u32(c.numHeads)],
    ['llama.attention.head_count_kv', u32(c.numKvHeads)],
    ['llama.rope.freq_base', f32(c.ropeTheta)],
    ['llama.attention.layer_norm_rms_epsilon', f32(c.rmsNormEps)],
    ['general.file_type', u32(FILE_TYPE[embedding?.dtype ?? 'f32'])],
    ['llama.vocab_size', u32(c.vocabSize)],
    ['llama.rope.dimension_count', u32(c.headDim)],
  ]);
  if (c.headDim * c.numHeads !== c.hiddenSize) {
    md.set('llama.attention.key_length', u32(c.headDim));
    md.set('llama.attention.value_length', u32(c.headDim));
  }
  // Not llama.cpp keys: what GGUF cannot otherwise say, so our own reader restores the config.
  if (c.architecture !== 'llama') md.set('shorten.architecture', str(c.architecture));
  if (c.prunedAttention.length > 0)
    md.set('shorten.pruned_attention', { type: 'array', itemType: 'u32', value: [...c.prunedAttention] });
  if (c.prunedMlp.length > 0)
    md.set('shorten.pruned_mlp', { type: 'array', itemType: 'u32', value: [...c.prunedMlp] });
  if (!options.metadata?.has('tokenizer.ggml.bos_token_id'))
    md.set('tokenizer.ggml.bos_token_id', u32(c.bosTokenId));
  if (!options.metadata?.has('tokenizer.ggml.eos_token_id'))
    md.set('tokenizer.ggml.eos_token_id', u32(c.eosTokenId));
  for (const [k, v] of options.metadata ?? []) {
    if (md.has(k) || k.startsWith('llama.') || k.startsWith('shorten.') || k.startsWith('general.')) continue;
    md.set(k, v);
  }
  return md;
}

/** Tensors in llama.cpp's usual order: embedding, final norm, classifier, then block by block. */
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
  for (const hfName of names) {
    const ggufName = hfToGgufName(hfName);
    if (!ggufName) throw new FormatError(file, hfName, 'a LLaMA weight name that GGUF can hold');
    let t = weights.tensors.get(hfName)!;
    const m = /\.self_attn\.([qk])_proj\.(weight|bias)$/.exec(hfName);
    if (m) t = halfSplitToInterleaved(t, m[1] === 'q' ? c.numHeads : c.numKvHeads);
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
  const alignment = GGUF_DEFAULT_ALIGNMENT;
  const metadata = modelMetadata(weights, options);
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
    head.u32(GGML_TYPE[t.dtype]);
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
