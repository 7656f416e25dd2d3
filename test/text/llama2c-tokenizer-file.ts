// Writes llama2.c tok*.bin bytes for tests: synthetic vocabularies and deliberately broken files.

export function llama2cTokenizerBytes(pieces: [string, number][], maxTokenLength?: number): Buffer {
  const encoded = pieces.map(([piece, score]) => [Buffer.from(piece, 'utf8'), score] as const);
  const longest = Math.max(...encoded.map(([bytes]) => bytes.length));
  const parts: Buffer[] = [Buffer.from(new Int32Array([maxTokenLength ?? longest]).buffer)];
  for (const [bytes, score] of encoded) {
    const header = Buffer.alloc(8);
    header.writeFloatLE(score, 0);
    header.writeInt32LE(bytes.length, 4);
    parts.push(header, bytes);
  }
  return Buffer.concat(parts);
}

/** <unk>, BOS, EOS and the 256 byte pieces, as llama2.c's export writes them, with score 0. */
export function llama2cSpecialAndBytePieces(): [string, number][] {
  const pieces: [string, number][] = [
    ['<unk>', 0],
    ['\n<s>\n', 0],
    ['\n</s>\n', 0],
  ];
  for (let byte = 0; byte < 256; byte++) {
    pieces.push([`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
  }
  return pieces;
}
