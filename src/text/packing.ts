// Plain text as language-modelling examples: documents tokenized with EOS after each (and BOS before
// it when the tokenizer adds BOS; Qwen's has none, SmolLM's adds none), joined into one stream and
// cut into fixed-length sequences (the last partial one dropped), as CPT packs.
import { ownPrefix } from './sequence-start.js';
import type { Tokenizer } from './tokenizer.js';

/** One training row: input ids and, per position, the id to predict next (-1: not scored). */
export interface TrainingExample {
  ids: Int32Array;
  targets: Int32Array;
}

/** The documents of a text file: split at `<|endoftext|>` lines when present, else at blank lines. */
export function splitDocuments(text: string): string[] {
  const parts = text.includes('<|endoftext|>') ? text.split('<|endoftext|>') : text.split(/\r?\n[ \t]*\r?\n/);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Next-token targets over a whole row (the last position has no next token). */
export function shiftedTargets(ids: Int32Array): Int32Array {
  const t = new Int32Array(ids.length).fill(-1);
  for (let i = 0; i + 1 < ids.length; i++) t[i] = ids[i + 1];
  return t;
}

/** Packs [...prefix, ...doc, EOS] streams into rows of exactly `seqLen` tokens (prefix: [BOS] or []). */
export function packDocuments(
  docs: number[][],
  seqLen: number,
  prefix: readonly number[],
  eosId: number,
): TrainingExample[] {
  if (!(Number.isInteger(seqLen) && seqLen >= 2))
    throw new RangeError(`seq-len must be an integer ≥ 2 (got ${seqLen})`);
  const rows: TrainingExample[] = [];
  let row = new Int32Array(seqLen);
  let fill = 0;
  for (const doc of docs) {
    for (const id of [...prefix, ...doc, eosId]) {
      row[fill++] = id;
      if (fill === seqLen) {
        rows.push({ ids: row, targets: shiftedTargets(row) });
        row = new Int32Array(seqLen);
        fill = 0;
      }
    }
  }
  return rows;
}

/** Tokenizes text files' documents and packs them (see packDocuments). */
export function packTextFiles(
  texts: string[],
  tokenizer: Tokenizer,
  seqLen: number,
): { rows: TrainingExample[]; documents: number } {
  const docs: number[][] = [];
  for (const text of texts) for (const d of splitDocuments(text)) docs.push(tokenizer.encode(d));
  return { rows: packDocuments(docs, seqLen, ownPrefix(tokenizer), tokenizer.eosId), documents: docs.length };
}
