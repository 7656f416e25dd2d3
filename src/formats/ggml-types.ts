// The GGML tensor types we read and write: one table of ids (ggml.h's GGML_TYPE_*), the names
// llama.cpp prints, our names and block geometry. It imports nothing, so the native wrappers
// (src/native/quant.ts) can take their type ids and sizes from it too.

/** The block-quantized types, by our lowercase names. */
export type GgmlQuantType =
  | 'q4_0'
  | 'q4_1'
  | 'q5_0'
  | 'q5_1'
  | 'q8_0'
  | 'q2_k'
  | 'q3_k'
  | 'q4_k'
  | 'q5_k'
  | 'q6_k'
  | 'iq4_nl'
  | 'iq4_xs';

export type GgmlTypeName = 'f32' | 'f16' | 'bf16' | GgmlQuantType;

export interface GgmlTypeInfo {
  /** GGML_TYPE_* in ggml.h, as stored in a GGUF tensor's type field. */
  id: number;
  /** The name llama.cpp prints (`Q4_K`, `IQ4_XS`, `F32`). */
  ggmlName: string;
  name: GgmlTypeName;
  /** Elements per block (1 for the float types). */
  blockElements: number;
  /** Bytes per block. */
  blockBytes: number;
  quantized: boolean;
}

function entry(id: number, ggmlName: string, blockElements: number, blockBytes: number): GgmlTypeInfo {
  const name = ggmlName.toLowerCase() as GgmlTypeName;
  return { id, ggmlName, name, blockElements, blockBytes, quantized: blockElements > 1 };
}

/** Every type we know, in id order. */
export const GGML_TYPES: readonly GgmlTypeInfo[] = [
  entry(0, 'F32', 1, 4),
  entry(1, 'F16', 1, 2),
  entry(2, 'Q4_0', 32, 18),
  entry(3, 'Q4_1', 32, 20),
  entry(6, 'Q5_0', 32, 22),
  entry(7, 'Q5_1', 32, 24),
  entry(8, 'Q8_0', 32, 34),
  entry(10, 'Q2_K', 256, 84),
  entry(11, 'Q3_K', 256, 110),
  entry(12, 'Q4_K', 256, 144),
  entry(13, 'Q5_K', 256, 176),
  entry(14, 'Q6_K', 256, 210),
  entry(20, 'IQ4_NL', 32, 18),
  entry(23, 'IQ4_XS', 256, 136),
  entry(30, 'BF16', 1, 2),
];

export const GGML_F32 = 0;
export const GGML_F16 = 1;
export const GGML_BF16 = 30;

const byId = new Map(GGML_TYPES.map((t) => [t.id, t]));
const byName = new Map<string, GgmlTypeInfo>(GGML_TYPES.map((t) => [t.name, t]));

/** The quantized types' names, in id order. */
export const GGML_QUANT_TYPES: readonly GgmlQuantType[] = GGML_TYPES.filter((t) => t.quantized).map(
  (t) => t.name as GgmlQuantType,
);

/** "F32 (0), F16 (1), Q4_0 (2), ...": the accepted types, for error messages. */
export const SUPPORTED_GGML_TYPES = GGML_TYPES.map((t) => `${t.ggmlName} (${t.id})`).join(', ');

/** The type with this GGML id, or undefined. */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return byId.get(id);
}

/** The type named `q4_k`, `Q4_K` (either case), or undefined. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return byName.get(name.toLowerCase());
}

/** A quantized type's entry; throws a RangeError for a name that is not one. */
export function ggmlQuantType(type: GgmlQuantType): GgmlTypeInfo {
  const t = byName.get(type);
  if (!t?.quantized)
    throw new RangeError(
      `unknown GGML quantized type '${String(type)}': expected one of ${GGML_QUANT_TYPES.join(', ')}`,
    );
  return t;
}

/** Bytes of one row of `rowLength` elements; throws a RangeError when the row is not whole blocks. */
export function ggmlRowBytes(type: GgmlTypeName, rowLength: number): number {
  const t = byName.get(type);
  if (!t) throw new RangeError(`unknown GGML type '${String(type)}'`);
  if (!Number.isSafeInteger(rowLength) || rowLength < 0)
    throw new RangeError(`row length must be a non-negative integer (got ${rowLength})`);
  if (rowLength % t.blockElements !== 0)
    throw new RangeError(
      `a ${t.ggmlName} row must be a multiple of ${t.blockElements} elements (got ${rowLength})`,
    );
  return (rowLength / t.blockElements) * t.blockBytes;
}
