// An independent byte-level BPE encoder and decoder, written from what the Rust tokenizers library
// and GPT-2's encoder.py do, to check shorten's tokenizer against: split the text with the
// family's regex (JavaScript regexes written here, Unicode White_Space for \s, Oniguruma's
// case folding of (?i:'s) written out, the long s included), map each UTF-8 byte to GPT-2's
// printable character, then merge adjacent pairs by rank, lowest first and leftmost on ties.

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to 256 + n. */
export function byteToChar(): string[] {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return chars;
}

const BYTE_CHARS = byteToChar();
const CHAR_BYTES = new Map(BYTE_CHARS.map((c, b) => [c, b]));

const WS = '\\p{White_Space}';
const NOT_WS = '\\P{White_Space}';
const CONTRACTIONS = "'[sS\u017f]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]";

/** The families' split regexes. */
export const REFERENCE_REGEX = {
  llama3: new RegExp(
    `(?:${CONTRACTIONS})|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|[${WS}]*[\\r\\n]+|[${WS}]+(?!${NOT_WS})|[${WS}]+`,
    'gu',
  ),
  qwen2: new RegExp(
    `(?:${CONTRACTIONS})|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*|[${WS}]*[\\r\\n]+|[${WS}]+(?!${NOT_WS})|[${WS}]+`,
    'gu',
  ),
  gpt2: new RegExp(
    `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?!${NOT_WS})|[${WS}]+`,
    'gu',
  ),
};

export type ReferenceForm = 'llama3' | 'qwen2' | 'smollm' | 'gpt2';

/** Splits keeping matches and what lies between them (the Isolated behaviour). */
function isolate(text: string, regex: RegExp): string[] {
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(regex)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[0].length > 0) out.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The words of `text` before BPE, in the form's order of steps. */
export function referenceWords(text: string, form: ReferenceForm): string[] {
  if (form === 'llama3') return isolate(text, REFERENCE_REGEX.llama3);
  if (form === 'qwen2') return isolate(text.normalize('NFC'), REFERENCE_REGEX.qwen2);
  if (form === 'gpt2') return isolate(text, REFERENCE_REGEX.gpt2);
  // SmolLM: every numeric character alone (Rust's char::is_numeric), then GPT-2's regex.
  return isolate(text, /\p{N}/gu).flatMap((piece) => isolate(piece, REFERENCE_REGEX.gpt2));
}

export function toByteChars(word: string): string {
  return Array.from(new TextEncoder().encode(word), (b) => BYTE_CHARS[b]).join('');
}

/** BPE on one word: repeatedly merge the adjacent pair of lowest rank (leftmost on ties). */
export function bpeWord(word: string, ranks: ReadonlyMap<string, number>): string[] {
  const parts = Array.from(word);
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best] + parts[best + 1]);
  }
}

export interface ReferenceTokenizer {
  form: ReferenceForm;
  vocab: ReadonlyMap<string, number>;
  merges: [string, string][];
  /** Llama 3: a word that is a vocabulary entry is emitted whole (BPE ignore_merges). */
  ignoreMerges: boolean;
}

export function referenceEncode(t: ReferenceTokenizer, text: string): number[] {
  const ranks = new Map(t.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const word of referenceWords(text, t.form)) {
    const chars = toByteChars(word);
    const pieces = t.ignoreMerges && t.vocab.has(chars) ? [chars] : bpeWord(chars, ranks);
    for (const p of pieces) {
      const id = t.vocab.get(p);
      if (id === undefined) throw new Error(`reference: ${JSON.stringify(p)} is not in the vocabulary`);
      ids.push(id);
    }
  }
  return ids;
}

/** transformers' clean_up_tokenization, applied on decode when clean_up_tokenization_spaces is true. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** Decodes ids of ordinary (non-added) tokens: their characters back to bytes, bytes as UTF-8. */
export function referenceDecode(pieces: string[]): string {
  const bytes = Uint8Array.from(Array.from(pieces.join(''), (c) => CHAR_BYTES.get(c) ?? 0));
  return new TextDecoder().decode(bytes);
}
