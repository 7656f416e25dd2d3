// The byte-level BPE pre-tokenizers that GGUF names by `tokenizer.ggml.pre`, each as the
// tokenizer.json parts its family ships (Llama 3, Qwen2, SmolLM, GPT-2), and the way back: the
// `pre` name of a tokenizer.json, identified by its pre-tokenizer regexes as llama.cpp's
// llama-vocab.cpp defines each name.

import { isRecord } from './json-values.js';

/** Llama 3 (`llama-bpe`): letters with one leading non-letter, digits in runs of at most 3. */
export const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen2 and Qwen3 (`qwen2`): as Llama 3 but every digit alone. */
export const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** GPT-2's own regex, the one the ByteLevel pre-tokenizer applies when `use_regex` is true. */
export const GPT2_SPLIT =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** llama.cpp's `default` pre-tokenizer: four regexes applied one after another. */
const DEFAULT_SPLITS = ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2_SPLIT, '\\p{N}+', '[0-9][0-9][0-9]'];

/** One step of a byte-level pre-tokenizer, in the order applied. */
type PreStep =
  | { kind: 'split'; regex: string }
  | { kind: 'digits'; individual: boolean }
  | { kind: 'byteLevel'; useRegex: boolean };

interface PreForm {
  steps: PreStep[];
  /** tokenizer.json `normalizer` the family ships (llama.cpp applies none). */
  normalizer: Record<string, unknown> | null;
  /** BPE `ignore_merges`: llama.cpp sets it for the Llama 3 pre-tokenizer. */
  ignoreMerges: boolean;
  /** clean_up_tokenization_spaces as llama.cpp sets it for the name. */
  cleanUpSpaces: boolean;
  /** llama.cpp's add_bos when the GGUF has no tokenizer.ggml.add_bos_token. */
  addBosDefault: boolean;
}

const FORMS: Record<string, PreForm> = {
  'llama-bpe': {
    steps: [
      { kind: 'split', regex: LLAMA3_SPLIT },
      { kind: 'byteLevel', useRegex: false },
    ],
    normalizer: null,
    ignoreMerges: true,
    cleanUpSpaces: true,
    addBosDefault: true,
  },
  qwen2: {
    steps: [
      { kind: 'split', regex: QWEN2_SPLIT },
      { kind: 'byteLevel', useRegex: false },
    ],
    normalizer: { type: 'NFC' },
    ignoreMerges: false,
    cleanUpSpaces: false,
    addBosDefault: false,
  },
  smollm: {
    steps: [
      { kind: 'digits', individual: true },
      { kind: 'byteLevel', useRegex: true },
    ],
    normalizer: null,
    ignoreMerges: false,
    cleanUpSpaces: false,
    addBosDefault: false,
  },
  'gpt-2': {
    steps: [{ kind: 'byteLevel', useRegex: true }],
    normalizer: null,
    ignoreMerges: false,
    cleanUpSpaces: true,
    addBosDefault: false,
  },
  default: {
    steps: [
      ...DEFAULT_SPLITS.map((regex): PreStep => ({ kind: 'split', regex })),
      { kind: 'byteLevel', useRegex: false },
    ],
    normalizer: null,
    ignoreMerges: false,
    cleanUpSpaces: true,
    addBosDefault: false,
  },
};

/** Other names llama.cpp gives the same pre-tokenizer. */
const ALIASES: Record<string, string> = { llama3: 'llama-bpe', 'llama-v3': 'llama-bpe' };

export const SUPPORTED_PRE_NAMES = Object.keys(FORMS);

/** The canonical name for `pre` (aliases resolved), or null when it is not one shorten knows. */
export function canonicalPreName(pre: string): string | null {
  const name = ALIASES[pre] ?? pre;
  return Object.hasOwn(FORMS, name) ? name : null;
}

function stepJson(step: PreStep): Record<string, unknown> {
  if (step.kind === 'split')
    return { type: 'Split', pattern: { Regex: step.regex }, behavior: 'Isolated', invert: false };
  if (step.kind === 'digits') return { type: 'Digits', individual_digits: step.individual };
  return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: step.useRegex };
}

/** The tokenizer.json parts for a canonical `pre` name (see canonicalPreName). */
export function preTokenizerForm(name: string): {
  preTokenizer: Record<string, unknown>;
  normalizer: Record<string, unknown> | null;
  ignoreMerges: boolean;
  cleanUpSpaces: boolean;
  addBosDefault: boolean;
} {
  const form = FORMS[name];
  const steps = form.steps.map(stepJson);
  return {
    preTokenizer: steps.length === 1 ? steps[0] : { type: 'Sequence', pretokenizers: steps },
    normalizer: form.normalizer === null ? null : { ...form.normalizer },
    ignoreMerges: form.ignoreMerges,
    cleanUpSpaces: form.cleanUpSpaces,
    addBosDefault: form.addBosDefault,
  };
}

/** A tokenizer.json pre-tokenizer as steps; null when it holds a part no `pre` name describes. */
function stepsOf(pre: unknown): PreStep[] | null {
  if (!isRecord(pre)) return null;
  if (pre.type === 'Sequence') {
    const steps: PreStep[] = [];
    for (const part of Array.isArray(pre.pretokenizers) ? pre.pretokenizers : []) {
      const inner = stepsOf(part);
      if (inner === null) return null;
      steps.push(...inner);
    }
    return steps;
  }
  if (pre.type === 'Split') {
    const pattern = pre.pattern;
    const plain = pre.behavior === 'Isolated' && pre.invert !== true;
    return plain && isRecord(pattern) && typeof pattern.Regex === 'string'
      ? [{ kind: 'split', regex: pattern.Regex }]
      : null;
  }
  if (pre.type === 'Digits') return [{ kind: 'digits', individual: pre.individual_digits === true }];
  if (pre.type === 'ByteLevel' && pre.add_prefix_space !== true)
    return [{ kind: 'byteLevel', useRegex: pre.use_regex !== false }];
  return null;
}

/**
 * The `pre` name of a byte-level tokenizer.json, as convert_hf_to_gguf.py labels these families;
 * null when its pre-tokenizer or normalizer is none of them.
 */
export function identifyPreName(json: Record<string, unknown>): string | null {
  const steps = stepsOf(json.pre_tokenizer);
  const normalizer = json.normalizer ?? null;
  const normalizerOk = normalizer === null || (isRecord(normalizer) && normalizer.type === 'NFC');
  if (steps === null || !normalizerOk) return null;
  const key = JSON.stringify(steps);
  for (const [name, form] of Object.entries(FORMS)) if (JSON.stringify(form.steps) === key) return name;
  return null;
}
