// Reads a task file (JSON lines, optionally gzipped) into multiple-choice questions, checking
// every row: a malformed row fails with the file, the line and the field at fault.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { TaskDefinition } from './definitions.js';

/**
 * One question: per choice, the context and the continuation scored after it (lm-evaluation-
 * harness's target delimiter, a space, already prepended), the gold index, and the length in
 * characters that acc_norm divides by (the choice text, as the harness does).
 */
export interface Question {
  contexts: string[];
  continuations: string[];
  normLengths: number[];
  gold: number;
}

export class TaskRowError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: line ${line}: field '${field}': expected ${expected}`);
    this.name = 'TaskRowError';
  }
}

function readLines(file: string): string[] {
  const bytes = readFileSync(file);
  let text: string;
  try {
    text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (err) {
    throw new TaskRowError(file, 0, '(file)', `gzip data (${(err as Error).message})`);
  }
  return text.split('\n');
}

function stringField(row: Record<string, unknown>, field: string, file: string, line: number): string {
  const v = row[field];
  if (typeof v !== 'string') throw new TaskRowError(file, line, field, 'a string');
  return v;
}

function stringList(row: Record<string, unknown>, field: string, file: string, line: number): string[] {
  const v = row[field];
  if (!Array.isArray(v) || v.length < 2 || v.some((s) => typeof s !== 'string'))
    throw new TaskRowError(file, line, field, 'an array of at least two strings');
  return v as string[];
}

function goldField(row: Record<string, unknown>, count: number, file: string, line: number): number {
  const v = row.gold;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= count)
    throw new TaskRowError(file, line, 'gold', `an integer in [0, ${count})`);
  return v;
}

/** The questions of one task file, at most `limit` of them (the first ones). */
export function readTaskQuestions(task: TaskDefinition, file: string, limit = Infinity): Question[] {
  const lines = readLines(file);
  const out: Question[] = [];
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    const lineNo = i + 1;
    if (lines[i].trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(lines[i]);
    } catch {
      throw new TaskRowError(file, lineNo, '(row)', 'one JSON object per line');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new TaskRowError(file, lineNo, '(row)', 'a JSON object');
    const row = parsed as Record<string, unknown>;
    if (task.shape === 'choices') {
      const query = stringField(row, 'query', file, lineNo);
      const choices = stringList(row, 'choices', file, lineNo);
      out.push({
        contexts: choices.map(() => query),
        continuations: choices.map((c) => ' ' + c),
        normLengths: choices.map((c) => c.length),
        gold: goldField(row, choices.length, file, lineNo),
      });
    } else {
      const options = stringList(row, 'context_options', file, lineNo);
      const continuation = stringField(row, 'continuation', file, lineNo);
      out.push({
        contexts: options,
        continuations: options.map(() => ' ' + continuation),
        normLengths: options.map(() => continuation.length),
        gold: goldField(row, options.length, file, lineNo),
      });
    }
  }
  if (out.length === 0) throw new TaskRowError(file, 0, '(file)', 'at least one row');
  return out;
}
