// Reads GGUF v2/v3 files of the `llama`, `qwen2` and `qwen3` architectures: bounded header parsing,
// metadata kept raw for the tokenizer, tensors as mmapped views (F32/F16/BF16) or through
// gguf-quant.ts (every type in ggml-types.ts), renamed to Hugging Face names with `llama` q/k rows
// moved to the half-split rotary layout.
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { mmapFile, releaseMappedPages } from '../native/index.js';
import { ByteReader, checkedElementCount, checkedMultiply } from './byte-reader.js';
import { FormatError } from './errors.js';
import { GGUF_ARCHITECTURES, configFromGgufMetadata, ggufArchitectureOf } from './gguf-config.js';
import type { GgufMetadata } from './gguf-metadata.js';
import { ggufNumber, readGgufString, readGgufValue } from './gguf-metadata.js';
import type { GgmlQuantType, GgmlTypeName } from './ggml-types.js';
import { GGML_BF16, GGML_F16, GGML_F32, SUPPORTED_GGML_TYPES, ggmlTypeById } from './ggml-types.js';
import { quantizedWeight } from './gguf-quant.js';
import { ggufToHfName } from './gguf-tensor-names.js';
import { interleavedToHalfSplit } from './rotary-permutation.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_DEFAULT_ALIGNMENT = 32;
const MAX_TENSOR_DIMS = 4;
const MAX_NAME_BYTES = 1 << 16;
const MAX_TENSORS = 1 << 20;
/** Llama 3's rotary frequency divisors: configuration, not a weight. */
export const ROPE_FREQS = 'rope_freqs.weight';

export interface GgufTensorInfo {
  name: string;
  /** GGUF order, innermost first: ne[0] is the number of columns. */
  dims: number[];
  ggmlType: number;
  /** Our name of that type (`f32`, `q4_k`, ...). */
  type: GgmlTypeName;
  /** Offset from the start of the data section. */
  offset: number;
  byteSize: number;
}

export interface GgufHeader {
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataStart: number;
}

export interface GgufContents {
  weights: ModelWeights;
  version: number;
  /** Every metadata key, raw and typed. */
  metadata: GgufMetadata;
  /** The `tokenizer.*` keys, raw (tokenizer.ggml.model, tokens, scores, token_type, ids, ...). */
  tokenizerMetadata: GgufMetadata;
}

/** Parses and bounds-checks the header and tensor table of a GGUF file. */
export function parseGgufHeader(buffer: ArrayBuffer, file: string): GgufHeader {
  const r = new ByteReader(buffer, file);
  const magic = r.u32('magic');
  if (magic !== GGUF_MAGIC) throw new FormatError(file, 'magic', `"GGUF" (got 0x${magic.toString(16)})`);
  const version = r.u32('version');
  if (version !== 2 && version !== 3) throw new FormatError(file, 'version', `2 or 3 (got ${version})`);
  // The smallest tensor entry is 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes;
  // the smallest key/value 8 (key length) + 4 (type) + 1.
  const tensorCount = r.u64Size('tensor_count', Math.min(MAX_TENSORS, Math.floor(r.remaining / 24)));
  const kvCount = r.u64Size('metadata_kv_count', Math.floor(r.remaining / 13));

  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < kvCount; i++) {
    const key = readGgufString(r, `metadata[${i}].key`, MAX_NAME_BYTES);
    if (metadata.has(key)) throw new FormatError(file, key, 'a key that appears once');
    metadata.set(key, readGgufValue(r, key));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignmentValue = ggufNumber(metadata, 'general.alignment', file);
  if (alignmentValue !== undefined) {
    if (
      !Number.isInteger(alignmentValue) ||
      alignmentValue < 1 ||
      alignmentValue > 1 << 16 ||
      (alignmentValue & (alignmentValue - 1)) !== 0
    )
      throw new FormatError(file, 'general.alignment', `a power of two up to 65536 (got ${alignmentValue})`);
    alignment = alignmentValue;
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = readGgufString(r, `tensor[${i}].name`, MAX_NAME_BYTES);
    if (names.has(name)) throw new FormatError(file, `tensor '${name}'`, 'a name that appears once');
    names.add(name);
    const nDims = r.u32(`${name}.n_dims`);
    if (nDims < 1 || nDims > MAX_TENSOR_DIMS)
      throw new FormatError(file, `${name}.n_dims`, `1 to ${MAX_TENSOR_DIMS} (got ${nDims})`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(r.u64Size(`${name}.ne[${d}]`));
    const ggmlType = r.u32(`${name}.type`);
    const type = ggmlTypeById(ggmlType);
    if (!type) throw new FormatError(file, `${name}.type`, `${SUPPORTED_GGML_TYPES} (got ${ggmlType})`);
    const elements = checkedElementCount(dims, file, `${name}.ne`);
    if (dims[0] % type.blockElements !== 0)
      throw new FormatError(
        file,
        `${name}.ne[0]`,
        `a multiple of ${type.blockElements}, the ${type.ggmlName} block (got a row of ${dims[0]})`,
      );
    const byteSize = checkedMultiply(elements / type.blockElements, type.blockBytes, file, `${name}.ne`);
    const offset = r.u64Size(`${name}.offset`);
    tensors.push({ name, dims, ggmlType, type: type.name, offset, byteSize });
  }
  r.align(alignment, 'padding before tensor data');
  const dataStart = r.offset;

  checkTensorExtents(tensors, alignment, r.length - dataStart, file);
  return { version, metadata, tensors, alignment, dataStart };
}

// As llama.cpp requires: tensors packed in listed order, each at the running size rounded up to the
// alignment; and each tensor's bytes, up to the next tensor (or the end of the file, less padding),
// exactly what its type and shape take.
function checkTensorExtents(
  tensors: GgufTensorInfo[],
  alignment: number,
  dataLength: number,
  file: string,
): void {
  let expected = 0;
  tensors.forEach((t, i) => {
    if (t.offset !== expected)
      throw new FormatError(
        file,
        `${t.name}.offset`,
        `${expected} (packed in order, aligned to ${alignment}; got ${t.offset})`,
      );
    const padded = t.byteSize + ((alignment - (t.byteSize % alignment)) % alignment);
    const next = tensors[i + 1];
    const span = (next ? next.offset : dataLength) - t.offset;
    if (span < t.byteSize || span > padded)
      throw new FormatError(
        file,
        `${t.name}.data`,
        `${t.byteSize} bytes for ${t.type.toUpperCase()} [${t.dims.join(', ')}]` +
          `${padded > t.byteSize ? ` (${padded} with padding)` : ''}; ` +
          `${next ? `'${next.name}' starts` : 'the file ends'} ${span} bytes after its start`,
      );
    expected = t.offset + padded;
  });
}

function tensorData(buffer: ArrayBuffer, start: number, t: GgufTensorInfo): WeightTensor {
  const shape = [...t.dims].reverse();
  const elements = t.byteSize === 0 ? 0 : checkedElementCount(shape, 'tensor', 'shape');
  const at = start + t.offset;
  const view = <A>(width: number, make: (b: ArrayBuffer, o: number, n: number) => A): A =>
    at % width === 0 ? make(buffer, at, elements) : make(buffer.slice(at, at + t.byteSize), 0, elements);
  switch (t.ggmlType) {
    case GGML_F32:
      return { dtype: 'f32', shape, data: view(4, (b, o, n) => new Float32Array(b, o, n)) };
    case GGML_F16:
      return { dtype: 'f16', shape, data: view(2, (b, o, n) => new Uint16Array(b, o, n)) };
    case GGML_BF16:
      return { dtype: 'bf16', shape, data: view(2, (b, o, n) => new Uint16Array(b, o, n)) };
    default:
      return quantizedWeight(
        t.type as GgmlQuantType,
        new Uint8Array(buffer, at, t.byteSize),
        shape,
        elements,
      );
  }
}

/**
 * Parses a GGUF file already in memory (or mapped); `file` names it in errors. `mapped` says the
 * buffer is an mmapFile mapping, whose pages under rows copied into another layout can be released.
 */
export function parseGguf(buffer: ArrayBuffer, file: string, mapped = false): GgufContents {
  const header = parseGgufHeader(buffer, file);
  const arch = ggufArchitectureOf(header.metadata, file);
  const tensors = new Map<string, WeightTensor>();
  let ropeFreqs: Float32Array | null = null;
  for (const t of header.tensors) {
    if (t.name === ROPE_FREQS) {
      const r = tensorData(buffer, header.dataStart, t);
      if (r.dtype !== 'f32' || r.shape.length !== 1)
        throw new FormatError(file, `tensor '${t.name}'`, 'a 1-D F32 tensor of rotary frequency factors');
      ropeFreqs = r.data as Float32Array;
      continue;
    }
    const hfName = ggufToHfName(t.name);
    if (!hfName)
      throw new FormatError(
        file,
        `tensor '${t.name}'`,
        'a LLaMA-family tensor name (token_embd, output_norm, output, rope_freqs, blk.N.attn_*/ffn_*)',
      );
    tensors.set(hfName, tensorData(buffer, header.dataStart, t));
  }
  const config = configFromGgufMetadata(
    header.metadata,
    new Set(tensors.keys()),
    tensors.get('model.embed_tokens.weight')?.shape[0],
    ropeFreqs,
    file,
  );
  // llama.cpp's `llama` stores q/k rows in the interleaved rotary layout (its converter permutes
  // them); qwen2/qwen3 keep Hugging Face's half-split layout (NEOX rope).
  // The file's rows are copied into the new order, so their mapped pages are released again.
  if (GGUF_ARCHITECTURES[arch].interleavedRotary)
    for (const [name, t] of tensors) {
      const m = /\.self_attn\.([qk])_proj\.(weight|bias)$/.exec(name);
      if (!m) continue;
      tensors.set(name, interleavedToHalfSplit(t, m[1] === 'q' ? config.numHeads : config.numKvHeads));
      if (mapped && t.data.buffer === buffer) releaseMappedPages(t.data);
    }
  const tokenizerMetadata: GgufMetadata = new Map(
    [...header.metadata].filter(([k]) => k.startsWith('tokenizer.')),
  );
  return {
    weights: { config, tensors },
    version: header.version,
    metadata: header.metadata,
    tokenizerMetadata,
  };
}

/** Maps and reads a GGUF file. */
export function readGguf(path: string): GgufContents {
  return parseGguf(mmapFile(path), path, true);
}
