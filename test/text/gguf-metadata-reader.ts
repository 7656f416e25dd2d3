// A minimal GGUF (v2/v3) metadata reader for the tokenizer tests: key/value pairs only, no
// tensors, little-endian, trusting its input (the fixtures). The project's real reader lives in
// src/formats/; this one keeps the tokenizer tests independent of it.

import { readFileSync } from 'node:fs';

export function readGgufMetadata(path: string): Map<string, unknown> {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const u32 = (): number => {
    const v = view.getUint32(offset, true);
    offset += 4;
    return v;
  };
  const u64 = (): number => {
    const v = Number(view.getBigUint64(offset, true));
    offset += 8;
    return v;
  };
  const str = (): string => {
    const length = u64();
    const s = new TextDecoder().decode(bytes.subarray(offset, offset + length));
    offset += length;
    return s;
  };
  const value = (type: number): unknown => {
    const at = offset;
    switch (type) {
      case 0:
        offset += 1;
        return view.getUint8(at);
      case 1:
        offset += 1;
        return view.getInt8(at);
      case 2:
        offset += 2;
        return view.getUint16(at, true);
      case 3:
        offset += 2;
        return view.getInt16(at, true);
      case 4:
        return u32();
      case 5:
        offset += 4;
        return view.getInt32(at, true);
      case 6:
        offset += 4;
        return view.getFloat32(at, true);
      case 7:
        offset += 1;
        return view.getUint8(at) !== 0;
      case 8:
        return str();
      case 9: {
        const elementType = u32();
        const count = u64();
        const values: unknown[] = [];
        for (let i = 0; i < count; i++) values.push(value(elementType));
        return values;
      }
      case 10:
        offset += 8;
        return view.getBigUint64(at, true);
      case 11:
        offset += 8;
        return view.getBigInt64(at, true);
      case 12:
        offset += 8;
        return view.getFloat64(at, true);
      default:
        throw new Error(`${path}: GGUF value type ${type} at offset ${at} is not one of 0..12`);
    }
  };
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== 'GGUF') throw new Error(`${path}: not a GGUF file`);
  offset = 4;
  u32(); // version
  u64(); // tensor count
  const kvCount = u64();
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    metadata.set(key, value(u32()));
  }
  return metadata;
}
