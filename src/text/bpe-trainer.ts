// Trains a SentencePiece-style BPE vocabulary with byte fallback (the Llama-2 form the rest of
// shorten reads): classic pair merges inside `▁`-prefixed words, most frequent pair first.

import { chooseCharacters, countWords } from './bpe-trainer-words.js';
import { PairQueue, pairKey, pairLeft, pairRight } from './bpe-trainer-pair-queue.js';
import { SentencePieceTokenType, type SentencePieceVocab } from './sentencepiece-vocab.js';

export const RESERVED_PIECES = ['<unk>', '<s>', '</s>'];
/** `<unk>`, `<s>`, `</s>` and the 256 byte pieces come before any learned piece. */
export const FIRST_LEARNED_ID = RESERVED_PIECES.length + 256;

export interface BpeTrainingOptions {
  /** Total vocabulary size, reserved and byte pieces included (at least 259). */
  vocabSize: number;
  /** Share of the text's characters that get a piece of their own; the rest become bytes. Default 0.9995. */
  characterCoverage?: number;
  /** Longest learned piece, in characters (SentencePiece's max_sentencepiece_length). Default 16. */
  maxPieceLength?: number;
  /** Called now and then with the merges done and the merges wanted. */
  onProgress?: (done: number, total: number) => void;
}

export interface BpeTrainingResult {
  vocab: SentencePieceVocab;
  /** The learned merges in the order they were made (rank 0 first). */
  merges: [string, string][];
  /** Characters of the training text (code points, before normalization). */
  chars: number;
  /** Tokens the training text encodes to (byte fallback included), by the learned merges. */
  tokens: number;
  /** Characters that got a piece of their own, and the share of the text they cover. */
  initialChars: number;
  characterShare: number;
}

export class BpeTrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BpeTrainingError';
  }
}

function bytePiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

const UNKNOWN_SYMBOL = -1;

/** Trains on `texts` (each normalized on its own, as the tokenizer encodes one document). */
export function trainBpe(texts: Iterable<string>, options: BpeTrainingOptions): BpeTrainingResult {
  const { vocabSize } = options;
  const coverage = options.characterCoverage ?? 0.9995;
  const maxPieceLength = options.maxPieceLength ?? 16;
  if (!Number.isInteger(vocabSize) || vocabSize < FIRST_LEARNED_ID) {
    throw new BpeTrainingError(
      `vocabSize: expected an integer ≥ ${FIRST_LEARNED_ID} (3 special + 256 byte pieces), got ${vocabSize}`,
    );
  }
  if (!(coverage > 0 && coverage <= 1)) {
    throw new BpeTrainingError(`characterCoverage: expected a number in (0, 1], got ${coverage}`);
  }
  let textCount = 0;
  const wordCounts = countWords(
    (function* () {
      for (const text of texts) {
        if (text.length > 0) textCount++;
        yield text;
      }
    })(),
  );
  if (wordCounts.size === 0) throw new BpeTrainingError('texts: expected some non-empty text, got none');

  const reserved = new Set([...RESERVED_PIECES, ...Array.from({ length: 256 }, (_, b) => bytePiece(b))]);
  // Reserved pieces are several characters long, so no kept character collides with one.
  const characterChoice = chooseCharacters(wordCounts, coverage, vocabSize - FIRST_LEARNED_ID);
  const characters = characterChoice.kept;
  const mergesWanted = vocabSize - FIRST_LEARNED_ID - characters.length;

  // Symbols: the kept characters, then one per merge. Unkept characters are UNKNOWN_SYMBOL,
  // which pairs with nothing (it will be written as bytes).
  const symbolText: string[] = [...characters];
  const symbolLength: number[] = characters.map(() => 1);
  const symbolOf = new Map<string, number>(characters.map((ch, id) => [ch, id]));

  const wordFrequency: number[] = [];
  const wordSymbols: Int32Array[] = [];
  const wordLength: number[] = [];
  let chars = -textCount; // the leading `▁` each text gets is not a character of the text
  let unknownBytes = 0;
  const encoder = new TextEncoder();
  for (const [word, count] of wordCounts) {
    const codePoints = Array.from(word);
    const symbols = new Int32Array(codePoints.length);
    codePoints.forEach((ch, i) => {
      const id = symbolOf.get(ch);
      if (id === undefined) {
        symbols[i] = UNKNOWN_SYMBOL;
        unknownBytes += encoder.encode(ch).length * count;
      } else symbols[i] = id;
    });
    chars += codePoints.length * count;
    wordFrequency.push(count);
    wordSymbols.push(symbols);
    wordLength.push(symbols.length);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const queue = new PairQueue();
  const addPair = (key: number, word: number, delta: number, touched: Set<number> | null): void => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    touched?.add(key);
    if (delta > 0) {
      let list = pairWords.get(key);
      if (list === undefined) pairWords.set(key, (list = []));
      if (list[list.length - 1] !== word) list.push(word);
    }
  };
  for (let w = 0; w < wordSymbols.length; w++) {
    const s = wordSymbols[w];
    for (let i = 0; i + 1 < s.length; i++) {
      if (s[i] !== UNKNOWN_SYMBOL && s[i + 1] !== UNKNOWN_SYMBOL)
        addPair(pairKey(s[i], s[i + 1]), w, wordFrequency[w], null);
    }
  }
  const queueIfAllowed = (key: number, count: number): void => {
    if (count > 0 && symbolLength[pairLeft(key)] + symbolLength[pairRight(key)] <= maxPieceLength) {
      queue.push(key, count);
    }
  };
  for (const [key, count] of pairCount) queueIfAllowed(key, count);

  const merges: [string, string][] = [];
  const refused = new Set<number>();
  const visited = new Int32Array(wordSymbols.length).fill(-1);
  const progressEvery = Math.max(1, Math.floor(mergesWanted / 100));
  while (merges.length < mergesWanted) {
    const best = queue.popCurrent((key) => (refused.has(key) ? 0 : (pairCount.get(key) ?? 0)));
    if (best === null) {
      throw new BpeTrainingError(
        `texts: expected enough text for a vocabulary of ${vocabSize}, but it ran out of pairs to merge ` +
          `after ${merges.length} of ${mergesWanted} merges; give more text or a smaller vocabulary`,
      );
    }
    const left = pairLeft(best.key);
    const right = pairRight(best.key);
    const merged = symbolText[left] + symbolText[right];
    // A piece that already exists (made by another pair, or reserved) would repeat a vocabulary entry.
    if (symbolOf.has(merged) || reserved.has(merged)) {
      refused.add(best.key);
      continue;
    }
    const id = symbolText.length;
    symbolText.push(merged);
    symbolLength.push(symbolLength[left] + symbolLength[right]);
    symbolOf.set(merged, id);
    merges.push([symbolText[left], symbolText[right]]);

    const touched = new Set<number>();
    const step = merges.length;
    for (const w of pairWords.get(best.key) ?? []) {
      if (visited[w] === step) continue;
      visited[w] = step;
      mergeInWord(w, left, right, id, wordSymbols, wordLength, wordFrequency[w], addPair, touched);
    }
    pairWords.delete(best.key);
    pairCount.delete(best.key);
    touched.delete(best.key);
    for (const key of touched) queueIfAllowed(key, pairCount.get(key) ?? 0);
    if (options.onProgress && (step % progressEvery === 0 || step === mergesWanted)) {
      options.onProgress(step, mergesWanted);
    }
  }

  let tokens = unknownBytes;
  for (let w = 0; w < wordSymbols.length; w++) {
    const s = wordSymbols[w];
    let known = 0;
    for (let i = 0; i < wordLength[w]; i++) if (s[i] !== UNKNOWN_SYMBOL) known++;
    tokens += known * wordFrequency[w];
  }

  return {
    vocab: vocabOf(
      merges.map(([l, r]) => l + r),
      characters,
    ),
    merges,
    chars,
    tokens,
    initialChars: characters.length,
    characterShare: characterChoice.coveredShare,
  };
}

/** Replaces each (left, right) in word `w` by `merged`, left to right, keeping the pair counts current. */
function mergeInWord(
  w: number,
  left: number,
  right: number,
  merged: number,
  wordSymbols: Int32Array[],
  wordLength: number[],
  frequency: number,
  addPair: (key: number, word: number, delta: number, touched: Set<number>) => void,
  touched: Set<number>,
): void {
  const s = wordSymbols[w];
  const n = wordLength[w];
  let found = false;
  for (let i = 0; i + 1 < n; i++) {
    if (s[i] === left && s[i + 1] === right) {
      found = true;
      break;
    }
  }
  if (!found) return;
  const countPairs = (delta: number, length: number): void => {
    for (let i = 0; i + 1 < length; i++) {
      if (s[i] !== UNKNOWN_SYMBOL && s[i + 1] !== UNKNOWN_SYMBOL)
        addPair(pairKey(s[i], s[i + 1]), w, delta, touched);
    }
  };
  countPairs(-frequency, n);
  let out = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && s[i] === left && s[i + 1] === right) {
      s[out++] = merged;
      i++;
    } else s[out++] = s[i];
  }
  wordLength[w] = out;
  countPairs(frequency, out);
}

/**
 * The vocabulary in SentencePiece's order: reserved, bytes, learned pieces by merge rank (score
 * -rank, so "highest score first" replays the merges in order), then the initial characters
 * (scores below every learned piece; a single character takes part in no merge as the result).
 */
function vocabOf(learned: string[], characters: string[]): SentencePieceVocab {
  const pieces = [
    ...RESERVED_PIECES,
    ...Array.from({ length: 256 }, (_, b) => bytePiece(b)),
    ...learned,
    ...characters,
  ];
  const scores = pieces.map((_, id) => {
    if (id < FIRST_LEARNED_ID) return 0;
    return -(id - FIRST_LEARNED_ID);
  });
  const types = pieces.map((_, id) => {
    if (id === 0) return SentencePieceTokenType.unknown;
    if (id < RESERVED_PIECES.length) return SentencePieceTokenType.control;
    if (id < FIRST_LEARNED_ID) return SentencePieceTokenType.byte;
    return SentencePieceTokenType.normal;
  });
  return { pieces, scores, types, unkId: 0, bosId: 1, eosId: 2, padId: null };
}
