// GGUF files holding every quantized type we read, built here from our own quantizer: they load
// to the dequantized weights, and each malformed size (a row that is not whole blocks, bytes
// that do not match the shape, data past or short of the file's end) is refused by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../src/formats/errors.js';
import { GGML_QUANT_TYPES, ggmlTypeByName } from '../../src/formats/ggml-types.js';
import type { GgmlTypeName } from '../../src/formats/ggml-types.js';
import { parseGguf, parseGgufHeader } from '../../src/formats/gguf.js';
import { ByteSink } from '../../src/formats/gguf-metadata.js';
import { dequantize, quantize } from '../../src/native/quant.js';
import { weightValues } from '../../src/tensor/weight-values.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

interface TensorSpec {
  name: string;
  /** GGUF order: ne[0] (the row length) first. */
  dims: number[];
  type: GgmlTypeName;
  data: Uint8Array;
  /** Override the offset written in the tensor table. */
  offset?: number;
}

const META: [string, number][] = [
  ['llama.embedding_length', 256],
  ['llama.attention.head_count', 4],
  ['llama.feed_forward_length', 256],
  ['llama.block_count', 2],
  ['llama.context_length', 16],
  ['llama.vocab_size', 8],
];

/** A GGUF v3 llama file with these tensors, packed and aligned to 32 unless an offset says otherwise. */
function ggufWith(tensors: TensorSpec[], trailing = 0): ArrayBuffer {
  const s = new ByteSink();
  s.u32(0x46554747);
  s.u32(3);
  s.u64(BigInt(tensors.length));
  s.u64(BigInt(META.length + 2));
  s.string('general.architecture');
  s.u32(8);
  s.string('llama');
  s.string('llama.attention.layer_norm_rms_epsilon');
  s.u32(6);
  s.f32(1e-5);
  for (const [k, v] of META) {
    s.string(k);
    s.u32(4);
    s.u32(v);
  }
  let offset = 0;
  for (const t of tensors) {
    s.string(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(BigInt(d));
    s.u32(ggmlTypeByName(t.type)!.id);
    s.u64(BigInt(t.offset ?? offset));
    offset += t.data.length + ((32 - (t.data.length % 32)) % 32);
  }
  s.padTo(32);
  for (const t of tensors) {
    s.bytes(t.data);
    s.padTo(32);
  }
  s.bytes(new Uint8Array(trailing));
  const bytes = s.result();
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function rejects(buffer: ArrayBuffer, field: RegExp, expected: RegExp): void {
  assert.throws(
    () => parseGgufHeader(buffer, 'bad.gguf'),
    (e: unknown) =>
      e instanceof FormatError && e.file === 'bad.gguf' && field.test(e.field) && expected.test(e.expected),
  );
}

// Names a loader accepts with any 2-D shape (q/k would be permuted by head).
const NAMES = ['attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down', 'attn_norm', 'ffn_norm'];
const nameOf = (i: number): string => `blk.${Math.floor(i / NAMES.length)}.${NAMES[i % NAMES.length]}.weight`;

test('a file with a tensor of every quantized type loads each as its stored bytes, expanding to the dequantized values', () => {
  const rand = mulberry32(5);
  const specs = GGML_QUANT_TYPES.map((type, i): TensorSpec & { values: Float32Array } => {
    const values = randomF32(3 * 256, rand);
    return { name: nameOf(i), dims: [256, 3], type, data: quantize(type, values), values };
  });
  const g = parseGguf(ggufWith(specs), 'all-types.gguf');
  const header = parseGgufHeader(ggufWith(specs), 'all-types.gguf');
  specs.forEach((spec, i) => {
    assert.equal(header.tensors[i].type, spec.type);
    const hfName = nameOf(i)
      .replace(/^blk\.(\d+)\./, 'model.layers.$1.')
      .replace('attn_v', 'self_attn.v_proj')
      .replace('attn_output', 'self_attn.o_proj')
      .replace(/ffn_(gate|up|down)/, 'mlp.$1_proj')
      .replace('attn_norm', 'input_layernorm')
      .replace('ffn_norm', 'post_attention_layernorm');
    const w = g.weights.tensors.get(hfName);
    assert.ok(w, `${spec.type}: ${hfName} loaded`);
    assert.equal(w.dtype, spec.type);
    assert.deepEqual(w.shape, [3, 256]);
    assert.deepEqual(w.data, spec.data, `${spec.type}: the file's bytes`);
    const want = new Float32Array(3 * 256);
    dequantize(spec.type as (typeof GGML_QUANT_TYPES)[number], spec.data, want);
    assert.deepEqual(weightValues(w, 'f32'), want, spec.type);
  });
});

test('a K-quant or IQ4_XS row that is not a multiple of 256, or a Q4_0 row not of 32, is refused', () => {
  for (const type of ['q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k', 'iq4_xs'] as const) {
    const buffer = ggufWith([{ name: 'blk.0.ffn_up.weight', dims: [192, 4], type, data: new Uint8Array(0) }]);
    rejects(buffer, /^blk\.0\.ffn_up\.weight\.ne\[0\]$/, /a multiple of 256.*got a row of 192/);
  }
  const q40 = ggufWith([{ name: 'output_norm.weight', dims: [48], type: 'q4_0', data: new Uint8Array(0) }]);
  rejects(q40, /^output_norm\.weight\.ne\[0\]$/, /a multiple of 32/);
});

test('a tensor whose bytes do not match its type and shape is refused, naming the tensor', () => {
  const good = quantize('q4_k', new Float32Array(512));
  // Declared [256, 2] Q4_K (288 bytes) but only one block stored before the next tensor.
  const short: TensorSpec[] = [
    { name: 'blk.0.ffn_up.weight', dims: [256, 2], type: 'q4_k', data: good.subarray(0, 144) },
    { name: 'blk.0.ffn_down.weight', dims: [256, 2], type: 'q4_k', data: good, offset: 160 },
  ];
  rejects(
    ggufWith(short),
    /^blk\.0\.ffn_up\.weight\.data$/,
    /288 bytes for Q4_K \[256, 2\].*'blk\.0\.ffn_down\.weight' starts 160/,
  );
  // The last tensor cut short by the end of the file.
  const cut = ggufWith([
    { name: 'blk.0.ffn_up.weight', dims: [256, 4], type: 'q6_k', data: new Uint8Array(630) },
  ]);
  rejects(
    cut,
    /^blk\.0\.ffn_up\.weight\.data$/,
    /840 bytes for Q6_K \[256, 4\] \(864 with padding\); the file ends 640 bytes/,
  );
  // Bytes past the last tensor's padding.
  const long = ggufWith(
    [{ name: 'blk.0.ffn_up.weight', dims: [256, 1], type: 'q8_0', data: new Uint8Array(272) }],
    64,
  );
  rejects(
    long,
    /^blk\.0\.ffn_up\.weight\.data$/,
    /272 bytes for Q8_0 \[256, 1\] \(288 with padding\); the file ends 352 bytes/,
  );
  // Exactly sized, with or without the last padding, is fine.
  const exact = ggufWith([
    { name: 'blk.0.ffn_up.weight', dims: [256, 1], type: 'q8_0', data: new Uint8Array(272) },
  ]);
  assert.equal(parseGgufHeader(exact, 'ok.gguf').tensors[0].byteSize, 272);
});

test('a tensor that starts past or before the end of the one before it is refused, naming that one', () => {
  const data = new Uint8Array(34);
  const specs: TensorSpec[] = [
    { name: 'output_norm.weight', dims: [32], type: 'q8_0', data },
    { name: 'blk.0.ffn_norm.weight', dims: [32], type: 'q8_0', data, offset: 96 },
  ];
  rejects(ggufWith(specs), /^output_norm\.weight\.data$/, /34 bytes for Q8_0 \[32\] \(64 with padding\)/);
  specs[1].offset = 0;
  rejects(ggufWith(specs), /^output_norm\.weight\.data$/, /starts 0 bytes after its start/);
});
