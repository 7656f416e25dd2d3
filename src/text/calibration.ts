// Calibration text for the pruning criteria, drawn as the paper (LLM-Pruner's get_examples) does:
// random documents holding at least seq-len tokens, each used once, and a random window of seq-len
// tokens from each. Seeded, so the same file, settings and seed always give the same windows.
// Documents are tokenized as the paper's `tokenizer(text)` call does: with the special tokens the
// tokenizer's own encoding adds (BOS for Llama; nothing for Qwen, whose vocabulary has no BOS).
import { readFileSync } from 'node:fs';
import { seededRandom } from '../model/sampling.js';
import { splitDocuments } from './packing.js';
import { describeStartToken, ownPrefix, sequenceStartToken, withOwnSpecialTokens } from './sequence-start.js';
import type { Tokenizer } from './tokenizer.js';

export interface CalibrationSettings {
  samples: number;
  seqLen: number;
  seed: number;
}

export const DEFAULT_CALIBRATION: CalibrationSettings = { samples: 10, seqLen: 128, seed: 1234 };

export interface CalibrationWindow {
  /** Index of the document in the file (0-based, in file order). */
  document: number;
  /** Token offset of the window inside the document's tokens (a BOS the tokenizer adds included). */
  start: number;
  tokens: number[];
}

export interface CalibrationSet {
  source: string;
  /** What each document's tokens start with (absent in calib.json files written before it was recorded). */
  documentStart?: string;
  settings: CalibrationSettings;
  windows: CalibrationWindow[];
}

/** An error in the calibration file or settings, naming the file and what was expected. */
export class CalibrationError extends Error {
  constructor(file: string, field: string, expected: string) {
    super(`${file}: ${field}: expected ${expected}`);
    this.name = 'CalibrationError';
  }
}

/**
 * The documents of a calibration file: JSONL (one object per line, text under `field`) when a
 * field is given or the name ends in .jsonl, else plain text split at blank lines.
 */
export function readCalibrationDocuments(file: string, opts: { field?: string } = {}): string[] {
  const text = readFileSync(file, 'utf8');
  if (opts.field !== undefined || file.endsWith('.jsonl')) {
    const field = opts.field ?? 'text';
    const docs: string[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new CalibrationError(file, `line ${i + 1}`, 'one JSON object per line');
      }
      const value = row && typeof row === 'object' ? (row as Record<string, unknown>)[field] : undefined;
      if (typeof value !== 'string')
        throw new CalibrationError(file, `line ${i + 1} field '${field}'`, 'a string');
      docs.push(value);
    });
    return docs;
  }
  return splitDocuments(text);
}

type CalibrationTokenizer = Pick<
  Tokenizer,
  'encode' | 'bosId' | 'eosId' | 'addBosToken' | 'addEosToken' | 'tokenToPiece'
>;

/** What sampleCalibration puts before each document's text, in words. */
export function documentStartOf(tokenizer: CalibrationTokenizer): string {
  return ownPrefix(tokenizer).length > 0
    ? `${describeStartToken(sequenceStartToken(tokenizer))}, as the tokenizer adds it`
    : 'no BOS: the tokenizer adds none (add_bos_token false or no BOS token)';
}

/**
 * Draws `samples` windows: documents are visited in a seeded random order (so none repeats), those
 * shorter than seqLen tokens are skipped, and each kept one gives a window at a seeded random start.
 * Documents are tokenized with the tokenizer's own special tokens, as the paper's tokenizer call does.
 */
export function sampleCalibration(
  documents: readonly string[],
  tokenizer: CalibrationTokenizer,
  settings: CalibrationSettings,
  source = 'calibration text',
): CalibrationSet {
  const { samples, seqLen, seed } = settings;
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new CalibrationError(source, 'samples', `a positive integer (got ${samples})`);
  if (!(Number.isInteger(seqLen) && seqLen >= 2))
    throw new CalibrationError(source, 'seq-len', `an integer ≥ 2 (got ${seqLen})`);
  const random = seededRandom(seed);
  const order = documents.map((_, i) => i);
  const windows: CalibrationWindow[] = [];
  // A lazy Fisher–Yates shuffle: only the documents actually visited are drawn and tokenized.
  for (let k = 0; k < order.length && windows.length < samples; k++) {
    const j = k + Math.floor(random() * (order.length - k));
    [order[k], order[j]] = [order[j], order[k]];
    const doc = order[k];
    const ids = withOwnSpecialTokens(tokenizer, tokenizer.encode(documents[doc]));
    if (ids.length < seqLen) continue;
    const start = Math.floor(random() * (ids.length - seqLen + 1));
    windows.push({ document: doc, start, tokens: ids.slice(start, start + seqLen) });
  }
  if (windows.length < samples)
    throw new CalibrationError(
      source,
      'documents',
      `at least ${samples} documents of ≥ ${seqLen} tokens (found ${windows.length} among ${documents.length})`,
    );
  return { source, documentStart: documentStartOf(tokenizer), settings: { ...settings }, windows };
}

/** The windows as one (samples, seqLen) row-major id batch. */
export function calibrationIds(set: CalibrationSet): Int32Array {
  const T = set.settings.seqLen;
  const ids = new Int32Array(set.windows.length * T);
  set.windows.forEach((w, b) => ids.set(w.tokens, b * T));
  return ids;
}

/** Reads a calib.json written by `shorten score`, so scores can be recomputed on the same tokens. */
export function readCalibrationJson(file: string): CalibrationSet {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CalibrationError(file, 'contents', 'JSON');
  }
  const o = j as Partial<CalibrationSet>;
  if (!o || !Array.isArray(o.windows) || !o.settings || o.windows.length === 0)
    throw new CalibrationError(file, 'windows', 'a non-empty array of {document, start, tokens}');
  const T = o.windows[0].tokens?.length;
  for (const [i, w] of o.windows.entries())
    if (
      !Array.isArray(w.tokens) ||
      w.tokens.length !== T ||
      !w.tokens.every((t) => Number.isInteger(t) && t >= 0)
    )
      throw new CalibrationError(file, `windows[${i}].tokens`, `${T} non-negative integer ids`);
  return {
    source: String(o.source ?? file),
    ...(typeof o.documentStart === 'string' ? { documentStart: o.documentStart } : {}),
    settings: { samples: o.windows.length, seqLen: T, seed: Number(o.settings.seed) },
    windows: o.windows,
  };
}
