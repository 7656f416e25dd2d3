// GGML tensor types a GGUF file may hold: byte sizes for bounds checks, and dequantization of the
// block-quantized types we accept (Q8_0, Q4_0) to f32 at load.
import { f16ToF32 } from '../native/index.js';

export const GGML_F32 = 0;
export const GGML_F16 = 1;
export const GGML_Q4_0 = 2;
export const GGML_Q8_0 = 8;
export const GGML_BF16 = 30;

export const QK = 32;
export const Q8_0_BLOCK_BYTES = 2 + QK;
export const Q4_0_BLOCK_BYTES = 2 + QK / 2;

export const SUPPORTED_GGML_TYPES = 'F32 (0), F16 (1), Q4_0 (2), Q8_0 (8) or BF16 (30)';

/** Bytes per block and elements per block, or undefined for an unsupported type. */
export function ggmlBlock(type: number): { bytes: number; elements: number } | undefined {
  switch (type) {
    case GGML_F32:
      return { bytes: 4, elements: 1 };
    case GGML_F16:
    case GGML_BF16:
      return { bytes: 2, elements: 1 };
    case GGML_Q8_0:
      return { bytes: Q8_0_BLOCK_BYTES, elements: QK };
    case GGML_Q4_0:
      return { bytes: Q4_0_BLOCK_BYTES, elements: QK };
    default:
      return undefined;
  }
}

function blockScales(bytes: Uint8Array, blocks: number, blockBytes: number): Float32Array {
  const raw = new Uint16Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const o = b * blockBytes;
    raw[b] = bytes[o] | (bytes[o + 1] << 8);
  }
  return f16ToF32(raw);
}

/** Q8_0 blocks: an f16 scale d, then 32 int8 q; element = q·d. */
export function dequantizeQ8_0(bytes: Uint8Array, elements: number): Float32Array {
  const blocks = elements / QK;
  const scales = blockScales(bytes, blocks, Q8_0_BLOCK_BYTES);
  const out = new Float32Array(elements);
  for (let b = 0; b < blocks; b++) {
    const o = b * Q8_0_BLOCK_BYTES + 2;
    const d = scales[b];
    for (let j = 0; j < QK; j++) out[b * QK + j] = ((bytes[o + j] << 24) >> 24) * d;
  }
  return out;
}

/** Q4_0 blocks: an f16 scale d, then 16 bytes; low nibbles are elements 0-15, high 16-31; element = (q-8)·d. */
export function dequantizeQ4_0(bytes: Uint8Array, elements: number): Float32Array {
  const blocks = elements / QK;
  const scales = blockScales(bytes, blocks, Q4_0_BLOCK_BYTES);
  const out = new Float32Array(elements);
  for (let b = 0; b < blocks; b++) {
    const o = b * Q4_0_BLOCK_BYTES + 2;
    const d = scales[b];
    for (let j = 0; j < QK / 2; j++) {
      const q = bytes[o + j];
      out[b * QK + j] = ((q & 0x0f) - 8) * d;
      out[b * QK + j + QK / 2] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}
