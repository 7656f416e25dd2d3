// Small byte-level BPE tokenizers in the forms Llama 3, Qwen2, SmolLM and GPT-2 ship (tokenizer.json
// parts and tokenizer_config.json as their hub folders hold them), with merges learned here on a
// little text: 256 byte tokens, a few hundred merges, the family's special tokens. And the texts
// they are checked on: unicode, digit runs, contractions, whitespace runs, newlines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../helpers/random.js';
import {
  byteToChar,
  referenceWords,
  toByteChars,
  type ReferenceForm,
  type ReferenceTokenizer,
} from './byte-level-reference.js';

const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export const TRAINING_TEXT = `Once upon a time, there was a little girl named Lily. She loved to play outside in the park.
One day, she saw a big, red ball. "I'm going to get it!" she said. They'll play, we've played, it's fine, you're here.
The 2024 report said 1,234,567 people paid $3.50 each; that's 12% more than in 2023.
def tokenize(text):
    return [token for token in text.split() if token]
Naïve café owners in Zürich serve crème brûlée. 日本語のテキストと中文的句子。 Привет, мир!
THE END. Don't stop, WON'T stop, SHE'LL go.\r\nLine after a Windows newline.\n\n\nThree newlines above.`;

/** Texts covering what the pre-tokenizers treat differently. */
export const CHECK_TEXTS = [
  'Hello world',
  "I'm here, you're there; we'll see. It's DON'T and SHE'LL, they'D, I'VE",
  'naïve café déjà vu — “quotes” and ‘single’',
  '日本語のテキストと中文的句子',
  'emoji 😀👍🏽 and flags 🇫🇷 and 👨‍👩‍👧',
  'digits 1234567890 and 3.14159, 1,000,000; 12ab34 and a1b2c3',
  'Arabic-Indic ٣٤٥٦ and superscript x² ½ Ⅻ',
  '  leading spaces',
  'trailing spaces   ',
  'a  b   c    d',
  'tabs\tand\ttabs\t\t',
  'line one\nline two\n\nline four\r\nwindows\r\n',
  '\n\n\n',
  ' \n \n ',
  'mixed   \n   spaces\t\n',
  'literal <|eot_id|> and <|im_start|>user and <|endoftext|> are text',
  "the long s: it'ſ odd, it'ſelf; the Kelvin sign K",
  'x \u0085y and x \ufeffy and \u0085\u0085 \ufeff\ufeff',
  'digits \u0663\u0664\u0665 \u0663\u0664 and 12\u0663\u0664',
  'non-breaking\u00a0space and\u2003em space',
  'next line\u0085and byte order mark\ufeffhere',
  'combining e\u0301 and precomposed é',
  'code: if (x == 1) { return y; } // comment\n    indented',
  'URL https://example.com/a?b=c&d=e#frag',
  ' ',
  'a',
];

/** Seeded random strings over a pool mixing every class of character. */
export function randomTexts(count: number, seed: number): string[] {
  const pool = [
    ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
    ...'0123456789',
    ...'      \t\n\r',
    ...'.,;:!?\'"()[]{}<>|-_=+*/\\@#$%^&~`',
    ...'éüßñçøåÆœ',
    ...'日本語中文한국어',
    '😀',
    '👍🏽',
    '\u00a0',
    '\u0301',
    '٣',
    '²',
    "'s",
    "'LL",
    '<|eot_id|>',
  ];
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(rand() * 40);
    return Array.from({ length: n }, () => pool[Math.floor(rand() * pool.length)]).join('');
  });
}

/**
 * Made-up merges that join exactly where the Rust library and a naive JavaScript port split text
 * differently, so a wrong split shows as different tokens: a space before U+0085 (White_Space, which
 * JavaScript's \s lacks) or U+FEFF (which JavaScript's \s has), Arabic-Indic digits side by side
 * (numeric, though not JavaScript's \d), the long s (Oniguruma's (?i:'s) takes it) before a letter.
 */
export const BOUNDARY_WORDS = [' \u0085', ' \ufeff', '\u0663\u0664', '\u017fe'];

/** Merges that build each of `words` left to right, one character at a time. */
function buildingMerges(words: string[]): [string, string][] {
  const merges: [string, string][] = [];
  for (const word of words) {
    const chars = Array.from(toByteChars(word));
    let built = chars[0];
    for (const c of chars.slice(1)) {
      merges.push([built, c]);
      built += c;
    }
  }
  return merges;
}

/** BPE training: repeatedly merge the most frequent adjacent pair (ties: the smaller pair string). */
export function learnMerges(form: ReferenceForm, text: string, count: number): [string, string][] {
  const words = new Map<string, number>();
  for (const w of referenceWords(text, form)) words.set(toByteChars(w), (words.get(toByteChars(w)) ?? 0) + 1);
  const symbols = [...words].map(([w, n]) => ({ parts: Array.from(w), n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { parts, n } of symbols)
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]} ${parts[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    let best: string | null = null;
    for (const [key, n] of pairs)
      if (best === null || n > pairs.get(best)! || (n === pairs.get(best)! && key < best)) best = key;
    if (best === null) break;
    const [a, b] = best.split(' ');
    merges.push([a, b]);
    for (const s of symbols)
      for (let i = 0; i + 1 < s.parts.length; i++)
        if (s.parts[i] === a && s.parts[i + 1] === b) s.parts.splice(i, 2, a + b);
  }
  return merges;
}

interface Special {
  content: string;
  special: boolean;
}

const SPECIALS: Record<ReferenceForm, Special[]> = {
  llama3: [
    '<|begin_of_text|>',
    '<|end_of_text|>',
    '<|reserved_special_token_0|>',
    '<|start_header_id|>',
    '<|end_header_id|>',
    '<|eot_id|>',
  ].map((content) => ({ content, special: true })),
  qwen2: [
    { content: '<|endoftext|>', special: true },
    { content: '<|im_start|>', special: true },
    { content: '<|im_end|>', special: true },
    { content: '<tool_call>', special: false },
  ],
  smollm: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'].map((content) => ({ content, special: true })),
  gpt2: [{ content: '<|endoftext|>', special: true }],
};

export const CHAT_TEMPLATE =
  "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}";

export interface ByteLevelFixture {
  json: Record<string, unknown>;
  /** tokenizer_config.json as the family's hub folder holds it; null: the folder has none (GPT-2 here). */
  config: Record<string, unknown> | null;
  reference: ReferenceTokenizer;
  /** Special token ids by content. */
  ids: Record<string, number>;
}

const byteLevel = (useRegex: boolean, trimOffsets: boolean): Record<string, unknown> => ({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: trimOffsets,
  use_regex: useRegex,
});

function addedToken(id: number, t: Special): Record<string, unknown> {
  return {
    id,
    content: t.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: !t.special,
    special: t.special,
  };
}

/** A tokenizer in `form`, with `mergeCount` merges learned on TRAINING_TEXT. */
export function byteLevelFixture(form: ReferenceForm, mergeCount = 300): ByteLevelFixture {
  const merges = [...learnMerges(form, TRAINING_TEXT, mergeCount), ...buildingMerges(BOUNDARY_WORDS)];
  const vocab = new Map<string, number>();
  const specials = SPECIALS[form];
  const ids: Record<string, number> = {};
  // SmolLM keeps its special tokens first, in the model's vocabulary as well as added.
  const addToVocab = (content: string): void => {
    ids[content] = vocab.size;
    vocab.set(content, vocab.size);
  };
  if (form === 'smollm') for (const t of specials) addToVocab(t.content);
  const chars = byteToChar().sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  for (const c of chars) vocab.set(c, vocab.size);
  for (const [a, b] of merges) if (!vocab.has(a + b)) vocab.set(a + b, vocab.size);
  // GPT-2 keeps <|endoftext|> as the last vocabulary entry; Llama 3 and Qwen2 add theirs after it.
  if (form === 'gpt2') addToVocab('<|endoftext|>');
  let next = vocab.size;
  if (form === 'llama3' || form === 'qwen2') for (const t of specials) ids[t.content] = next++;
  const added = specials.map((t) => addedToken(ids[t.content], t));

  const bos = '<|begin_of_text|>';
  const parts: Record<ReferenceForm, Partial<Record<string, unknown>>> = {
    llama3: {
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false },
          byteLevel(false, true),
        ],
      },
      post_processor: {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
          {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [
              { SpecialToken: { id: bos, type_id: 0 } },
              { Sequence: { id: 'A', type_id: 0 } },
              { SpecialToken: { id: bos, type_id: 1 } },
              { Sequence: { id: 'B', type_id: 1 } },
            ],
            special_tokens: { [bos]: { id: bos, ids: [ids[bos]], tokens: [bos] } },
          },
        ],
      },
    },
    qwen2: {
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false },
          byteLevel(false, false),
        ],
      },
      post_processor: byteLevel(false, false),
    },
    smollm: {
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true, true)],
      },
      post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    },
    gpt2: {
      normalizer: null,
      pre_tokenizer: byteLevel(true, true),
      post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    },
  };
  const json: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    ...parts[form],
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: form === 'qwen2' ? '' : null,
      end_of_word_suffix: form === 'qwen2' ? '' : null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: form === 'llama3',
      vocab: Object.fromEntries(vocab),
      merges: merges.map(([a, b]) => (form === 'gpt2' ? `${a} ${b}` : [a, b])),
    },
  };
  const configs: Record<ReferenceForm, Record<string, unknown> | null> = {
    llama3: {
      bos_token: '<|begin_of_text|>',
      eos_token: '<|end_of_text|>',
      clean_up_tokenization_spaces: true,
      model_input_names: ['input_ids', 'attention_mask'],
      model_max_length: 131072,
      tokenizer_class: 'PreTrainedTokenizerFast',
    },
    qwen2: {
      add_prefix_space: false,
      bos_token: null,
      chat_template: CHAT_TEMPLATE,
      clean_up_tokenization_spaces: false,
      eos_token: '<|endoftext|>',
      errors: 'replace',
      model_max_length: 131072,
      pad_token: '<|endoftext|>',
      split_special_tokens: false,
      tokenizer_class: 'Qwen2Tokenizer',
      unk_token: null,
    },
    smollm: {
      add_prefix_space: false,
      bos_token: '<|endoftext|>',
      clean_up_tokenization_spaces: false,
      eos_token: '<|endoftext|>',
      model_max_length: 2048,
      tokenizer_class: 'GPT2Tokenizer',
      unk_token: '<|endoftext|>',
      vocab_size: vocab.size,
    },
    gpt2: null,
  };
  return {
    json,
    config: configs[form],
    reference: { form, vocab, merges, ignoreMerges: form === 'llama3' },
    ids,
  };
}

/** Writes the fixture's tokenizer.json (and tokenizer_config.json, and `extra` files) into `dir`. */
export function writeTokenizerFolder(
  dir: string,
  fixture: ByteLevelFixture,
  extra: Record<string, string> = {},
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(fixture.json));
  if (fixture.config)
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(fixture.config, null, 2));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return join(dir, 'tokenizer.json');
}
