// Typed wrappers over the native GGML (de)quantizers (native/src/quant.h): every quantized type
// expands to f32 with the same bits on every ISA path, and builds from f32 as llama-quantize does.
import type { GgmlQuantType } from '../formats/ggml-types.js';
import { ggmlQuantType, ggmlRowBytes } from '../formats/ggml-types.js';
import { binding } from './binding.js';

interface NativeQuantBinding {
  dequantize(typeId: number, src: Uint8Array, dst: Float32Array): void;
  quantize(typeId: number, src: Float32Array, dst: Uint8Array): void;
  quantBlock(typeId: number): [number, number];
}

const native = binding as unknown as NativeQuantBinding;

/** Expands `src` (whole blocks of `type`) into dst: dst.length elements, which src must hold exactly. */
export function dequantize(type: GgmlQuantType, src: Uint8Array, dst: Float32Array): void {
  const t = ggmlQuantType(type);
  const bytes = ggmlRowBytes(type, dst.length);
  if (src.byteLength !== bytes)
    throw new RangeError(
      `dequantize ${type}: src has ${src.byteLength} bytes, but ${dst.length} elements take ${bytes} bytes`,
    );
  native.dequantize(t.id, src, dst);
}

/**
 * Expands rows [firstRow, firstRow + rowCount) of a row-major tensor whose rows hold rowLength
 * elements of `type` (e.g. a few embedding rows); dst gets rowCount · rowLength elements.
 */
export function dequantizeRows(
  type: GgmlQuantType,
  src: Uint8Array,
  rowLength: number,
  firstRow: number,
  rowCount: number,
  dst: Float32Array = new Float32Array(rowCount * rowLength),
): Float32Array {
  const rowBytes = ggmlRowBytes(type, rowLength);
  if (!Number.isSafeInteger(firstRow) || !Number.isSafeInteger(rowCount) || firstRow < 0 || rowCount < 0)
    throw new RangeError(`dequantizeRows: rows must be non-negative integers (got ${firstRow}, ${rowCount})`);
  const end = (firstRow + rowCount) * rowBytes;
  if (end > src.byteLength)
    throw new RangeError(
      `dequantizeRows ${type}: rows ${firstRow}..${firstRow + rowCount - 1} end at byte ${end}, past src's ${src.byteLength}`,
    );
  if (dst.length !== rowCount * rowLength)
    throw new RangeError(`dequantizeRows: dst has ${dst.length} elements, ${rowCount} rows take ${rowCount * rowLength}`);
  dequantize(type, src.subarray(firstRow * rowBytes, end), dst);
  return dst;
}

/**
 * Quantizes src (whole blocks of `type`; every value finite) as llama.cpp's llama-quantize does
 * with no importance matrix, block for block the same bytes.
 */
export function quantize(type: GgmlQuantType, src: Float32Array): Uint8Array {
  const t = ggmlQuantType(type);
  const out = new Uint8Array(ggmlRowBytes(type, src.length));
  native.quantize(t.id, src, out);
  return out;
}

/** The native table's block geometry for a type: [elements, bytes] (to check against ggml-types.ts). */
export function nativeQuantBlock(type: GgmlQuantType): [number, number] {
  return native.quantBlock(ggmlQuantType(type).id);
}
