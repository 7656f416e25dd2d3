// An independent, plain re-statement of llama2.c run.c's `encode` (SentencePiece BPE with a dummy
// prefix and byte fallback), used only to check the library path. It reads tok*.bin itself and
// works on run.c's own form of the vocabulary (spaces as " ", not "▁").

import { readFileSync } from 'node:fs';

export interface ReferenceVocab {
  pieces: string[];
  scores: number[];
  idOf: Map<string, number>;
}

/** Reads tok*.bin with no validation beyond what the test fixtures need. */
export function readReferenceVocab(path: string): ReferenceVocab {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces: string[] = [];
  const scores: number[] = [];
  let offset = 4;
  while (offset < bytes.byteLength) {
    scores.push(view.getFloat32(offset, true));
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    pieces.push(new TextDecoder().decode(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  const idOf = new Map<string, number>();
  // run.c's str_lookup finds a piece by bsearch; the vocabulary has no duplicates, so first wins.
  pieces.forEach((piece, id) => {
    if (!idOf.has(piece)) idOf.set(piece, id);
  });
  return { pieces, scores, idOf };
}

/** run.c encode(text, bos=0, eos=0). */
export function referenceEncode(vocab: ReferenceVocab, text: string): number[] {
  const tokens: number[] = [];
  if (text.length === 0) return tokens;
  const dummyPrefix = vocab.idOf.get(' ');
  if (dummyPrefix === undefined) throw new Error('reference: the vocabulary has no " " piece');
  tokens.push(dummyPrefix);
  // Look up each UTF-8 character (a code point); unknown ones become byte tokens (byte + 3).
  for (const char of text) {
    const id = vocab.idOf.get(char);
    if (id !== undefined) {
      tokens.push(id);
    } else {
      for (const byte of new TextEncoder().encode(char)) tokens.push(byte + 3);
    }
  }
  // Repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece
  // (leftmost on ties). pairScore[i] caches the merge of tokens[i] and tokens[i+1] so a pass is
  // a scan of numbers, as run.c's scan of lookups but without re-doing the unchanged ones.
  const mergedId = (i: number): number =>
    vocab.idOf.get(vocab.pieces[tokens[i]] + vocab.pieces[tokens[i + 1]]) ?? -1;
  const pairs: number[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) pairs.push(mergedId(i));
  for (;;) {
    let bestScore = -1e10;
    let bestIndex = -1;
    for (let i = 0; i < pairs.length; i++) {
      const id = pairs[i];
      if (id !== -1 && vocab.scores[id] > bestScore) {
        bestScore = vocab.scores[id];
        bestIndex = i;
      }
    }
    if (bestIndex === -1) break;
    tokens[bestIndex] = pairs[bestIndex];
    tokens.splice(bestIndex + 1, 1);
    pairs.splice(bestIndex, 1);
    if (bestIndex > 0) pairs[bestIndex - 1] = mergedId(bestIndex - 1);
    if (bestIndex < pairs.length) pairs[bestIndex] = mergedId(bestIndex);
  }
  return tokens;
}
