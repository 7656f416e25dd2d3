// Instruction data in the Alpaca shape ({instruction, input, output} rows, JSON array or JSONL),
// rendered with alpaca-lora's prompt template (tloen/alpaca-lora templates/alpaca.json) and
// tokenized as its finetune.py does: prompt + response with the BOS the tokenizer adds (none for
// Qwen), cut at the cutoff, EOS appended when it fits, and the prompt's tokens left out of the loss
// unless training on inputs.
import { readFileSync } from 'node:fs';
import type { TrainingExample } from './packing.js';
import { ownPrefix } from './sequence-start.js';
import type { Tokenizer } from './tokenizer.js';

export interface InstructionRow {
  instruction: string;
  input: string;
  output: string;
}

export const ALPACA_PROMPT_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' +
  'Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n';
export const ALPACA_PROMPT_NO_INPUT =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\n{instruction}\n\n### Response:\n';

/** The prompt for a row (the response is appended to it). */
export function alpacaPrompt(row: Pick<InstructionRow, 'instruction' | 'input'>): string {
  const t = row.input ? ALPACA_PROMPT_INPUT : ALPACA_PROMPT_NO_INPUT;
  return t.replace('{instruction}', () => row.instruction).replace('{input}', () => row.input);
}

/** Parses rows from JSON (an array) or JSONL text; `file` names the source in errors. */
export function parseInstructionRows(text: string, file: string): InstructionRow[] {
  const trimmed = text.trim();
  let raw: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      raw = JSON.parse(trimmed) as unknown[];
    } catch (e) {
      throw new Error(`${file}: expected a JSON array of rows (${(e as Error).message})`);
    }
  } else {
    raw = [];
    trimmed.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        raw.push(JSON.parse(line));
      } catch (e) {
        throw new Error(
          `${file}: line ${i + 1}: expected one JSON object per line (${(e as Error).message})`,
        );
      }
    });
  }
  return raw.map((r, i) => {
    if (typeof r !== 'object' || r === null) throw new Error(`${file}: row ${i}: expected an object`);
    const o = r as Record<string, unknown>;
    for (const f of ['instruction', 'output'])
      if (typeof o[f] !== 'string') throw new Error(`${file}: row ${i}: field '${f}': expected a string`);
    if (o.input !== undefined && o.input !== null && typeof o.input !== 'string')
      throw new Error(`${file}: row ${i}: field 'input': expected a string`);
    return {
      instruction: o.instruction as string,
      input: (o.input as string | undefined) ?? '',
      output: o.output as string,
    };
  });
}

export function readInstructionRows(path: string): InstructionRow[] {
  return parseInstructionRows(readFileSync(path, 'utf8'), path);
}

export interface InstructionTokenizeOptions {
  /** Maximum tokens per row (alpaca-lora's cutoff_len, 256 in the paper). */
  cutoff: number;
  /** Score the prompt's tokens too (alpaca-lora's train_on_inputs). */
  trainOnInputs: boolean;
}

/** One row as a training example. */
export function tokenizeInstruction(
  row: InstructionRow,
  tokenizer: Tokenizer,
  o: InstructionTokenizeOptions,
): TrainingExample {
  const prompt = alpacaPrompt(row);
  const prefix = ownPrefix(tokenizer);
  let ids = [...prefix, ...tokenizer.encode(prompt + row.output)].slice(0, o.cutoff);
  if (ids.length < o.cutoff) ids = [...ids, tokenizer.eosId];
  const promptLen = o.trainOnInputs
    ? 0
    : Math.min(ids.length, prefix.length + tokenizer.encode(prompt).length);
  const targets = new Int32Array(ids.length).fill(-1);
  // Position t predicts token t+1; tokens of the prompt are not predicted.
  for (let t = 0; t + 1 < ids.length; t++) if (t + 1 >= promptLen) targets[t] = ids[t + 1];
  return { ids: Int32Array.from(ids), targets };
}
