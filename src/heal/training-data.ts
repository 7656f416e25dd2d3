// Turning data files into training rows and a validation split: Alpaca JSON/JSONL as masked
// instruction rows, any other file as plain text packed into fixed-length sequences.
import { readFileSync } from 'node:fs';
import { parseInstructionRows, tokenizeInstruction } from '../text/instruction-data.js';
import { packTextFiles } from '../text/packing.js';
import type { TrainingExample } from '../text/packing.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { seededPermutation } from './rng.js';

export interface DataOptions {
  /** Tokens per row: the instruction cutoff, or the packed sequence length of plain text. */
  seqLen: number;
  trainOnInputs: boolean;
}

export function isInstructionFile(path: string): boolean {
  return /\.jsonl?$/i.test(path);
}

/** Training data that leaves nothing to train on: bad usage (exit 2), naming the numbers and the flag. */
export class NoTrainingRowsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'NoTrainingRowsError';
  }
}

/**
 * Rows from every file, in file order. Rows with nothing to score (a prompt longer than the cutoff)
 * are left out: they would add no gradient, and a step made only of them would have no loss. When
 * that leaves none, the run is refused before any step instead of training on nothing.
 */
export function loadTrainingRows(files: string[], tokenizer: Tokenizer, o: DataOptions): TrainingExample[] {
  const rows: TrainingExample[] = [];
  const texts: string[] = [];
  for (const f of files) {
    const content = readFileSync(f, 'utf8');
    if (isInstructionFile(f)) {
      for (const r of parseInstructionRows(content, f))
        rows.push(tokenizeInstruction(r, tokenizer, { cutoff: o.seqLen, trainOnInputs: o.trainOnInputs }));
    } else texts.push(content);
  }
  if (texts.length > 0) rows.push(...packTextFiles(texts, tokenizer, o.seqLen).rows);
  const scored = rows.filter((r) => r.targets.some((t) => t >= 0));
  if (scored.length === 0)
    throw new NoTrainingRowsError(
      rows.length === 0
        ? `${files.join(', ')}: no training rows (empty, or no text)`
        : `${files.join(', ')}: all ${rows.length} rows have nothing to score: every prompt fills the ${o.seqLen}-token cutoff` +
            (o.trainOnInputs ? '' : '; raise --cutoff, or score the prompts too with --train-on-inputs'),
    );
  return scored;
}

/** alpaca-lora's default of 2000 validation rows, or 10% of a set smaller than 20000 rows. */
export function defaultValSize(rows: number): number {
  return Math.min(2000, Math.floor(rows / 10));
}

/** A seeded split into training and validation rows. */
export function splitValidation(
  rows: TrainingExample[],
  valSize: number,
  seed: number,
): { train: TrainingExample[]; val: TrainingExample[] } {
  if (rows.length === 0)
    throw new RangeError('no training rows with a token to score (is the cutoff shorter than the prompts?)');
  if (valSize >= rows.length)
    throw new RangeError(`--val-size ${valSize} leaves no training rows out of ${rows.length}`);
  const order = seededPermutation(rows.length, (seed ^ 0x5eed) >>> 0);
  const val: TrainingExample[] = [];
  const train: TrainingExample[] = [];
  order.forEach((idx, i) => (i < valSize ? val : train).push(rows[idx]));
  return { train, val };
}
