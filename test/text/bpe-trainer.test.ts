// The BPE trainer: its tokenizer.json loads through the library, encodes every input with byte
// fallback, equals a plain replay of the learned merges, is deterministic and compresses
// held-out TinyStories text; bad input fails with a clear message; the CLI writes both files.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerTokenizerCommands } from '../../src/cli/tokenizer-commands.js';
import { BpeTrainingError, trainBpe, type BpeTrainingResult } from '../../src/text/bpe-trainer.js';
import { readTrainingText } from '../../src/text/bpe-trainer-input.js';
import { writeTrainedTokenizer } from '../../src/text/bpe-trainer-save.js';
import { splitDocuments } from '../../src/text/bpe-trainer-words.js';
import { llamaTokenizerJsonFromVocab } from '../../src/text/sentencepiece-tokenizer-json.js';
import type { HuggingFaceTokenizer } from '../../src/text/tokenizer-hf.js';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { missingFixture, TINYSTORIES_TRAIN, TINYSTORIES_VAL } from '../helpers/fixtures.js';
import { mulberry32 } from '../helpers/random.js';
import { EDGE_CASES, tinyStories } from './fixtures.js';

const CORPUS_FILE = TINYSTORIES_TRAIN;
const TRAIN_BYTES = 300_000;

/** Classic BPE, written plainly: in each `▁`-word, merge the adjacent pair of lowest rank until none is left. */
function referenceEncode(result: BpeTrainingResult, text: string): number[] {
  if (text.length === 0) return [];
  const rank = new Map(result.merges.map(([l, r], i) => [`${l}\u0000${r}`, i]));
  const idOf = new Map(result.vocab.pieces.map((p, id) => [p, id]));
  const ids: number[] = [];
  const normalized = '\u2581' + text.replaceAll(' ', '\u2581');
  for (const word of normalized.split(/(?=\u2581)/)) {
    let symbols = Array.from(word);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(`${symbols[i]}\u0000${symbols[i + 1]}`);
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const [l, r] = result.merges[best];
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === l && symbols[i + 1] === r) {
          next.push(l + r);
          i++;
        } else next.push(symbols[i]);
      }
      symbols = next;
    }
    for (const symbol of symbols) {
      const id = idOf.get(symbol);
      if (id !== undefined) ids.push(id);
      else for (const byte of new TextEncoder().encode(symbol)) ids.push(3 + byte);
    }
  }
  return ids;
}

describe('trainBpe on TinyStories', { skip: missingFixture(CORPUS_FILE, TINYSTORIES_VAL) }, () => {
  let dir: string;
  let documents: string[];
  let trained: BpeTrainingResult;
  let tokenizer: HuggingFaceTokenizer;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shorten-bpe-'));
    documents = readTrainingText([CORPUS_FILE], {
      maxBytes: TRAIN_BYTES,
      separator: '<|endoftext|>',
    }).documents;
    trained = trainBpe(documents, { vocabSize: 512 });
    writeTrainedTokenizer(trained.vocab, join(dir, 'tokenizer.json'));
    tokenizer = loadTokenizerJson(join(dir, 'tokenizer.json'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a tokenizer.json of 512 pieces in the Llama-2 layout, with its tokenizer_config.json', () => {
    assert.equal(tokenizer.vocabSize, 512);
    assert.equal(trained.vocab.pieces.length, 512);
    assert.deepEqual(
      [0, 1, 2, 3, 258].map((id) => tokenizer.tokenToPiece(id)),
      ['<unk>', '<s>', '</s>', '<0x00>', '<0xFF>'],
    );
    assert.equal(tokenizer.bosId, 1);
    assert.equal(tokenizer.eosId, 2);
    assert.ok(trained.vocab.pieces.includes('\u2581the'), 'a frequent word is a piece');
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(config.bos_token, '<s>');
    assert.equal(config.eos_token, '</s>');
    assert.equal(config.add_bos_token, true);
    assert.equal(config.clean_up_tokenization_spaces, false);
    assert.deepEqual(tokenizer.encode('Once', { bos: true }).slice(0, 1), [1]);
  });

  it('encodes any text without <unk> (byte fallback) and decodes it back exactly', () => {
    const rand = mulberry32(7);
    const randomTexts = Array.from({ length: 40 }, () =>
      Array.from({ length: 1 + Math.floor(rand() * 12) }, () => {
        const ranges = [
          [0x00, 0x20],
          [0x20, 0x7f],
          [0x80, 0x800],
          [0x3040, 0x30ff],
          [0x4e00, 0x9fff],
          [0x1f300, 0x1f64f],
        ];
        const [lo, hi] = ranges[Math.floor(rand() * ranges.length)];
        return String.fromCodePoint(lo + Math.floor(rand() * (hi - lo)));
      }).join(''),
    );
    for (const text of [...EDGE_CASES, '\u0000\u0001\u001f\u007f', '漢字 🦄 ✨', ...randomTexts]) {
      const ids = tokenizer.encode(text);
      assert.ok(!ids.includes(0), `no <unk> for ${JSON.stringify(text)}`);
      assert.equal(tokenizer.decode(ids), text, JSON.stringify(text));
    }
  });

  it('encodes as the learned merges applied in rank order (training and held-out text)', () => {
    const heldOut = tinyStories(40);
    for (const text of [...documents.slice(0, 60), ...heldOut, ...EDGE_CASES.slice(0, 14)]) {
      assert.deepEqual(
        tokenizer.encode(text),
        referenceEncode(trained, text),
        JSON.stringify(text.slice(0, 60)),
      );
    }
    // The trainer's own token count of its text is what the library gives.
    const libraryTokens = documents.reduce((n, d) => n + tokenizer.encode(d).length, 0);
    assert.equal(trained.tokens, libraryTokens);
    assert.equal(
      trained.chars,
      documents.reduce((n, d) => n + Array.from(d).length, 0),
    );
  });

  it('compresses held-out TinyStories to well below one token per character', (t) => {
    const heldOut = tinyStories(200);
    let chars = 0;
    let tokens = 0;
    for (const story of heldOut) {
      chars += Array.from(story).length;
      tokens += tokenizer.encode(story).length;
    }
    const perChar = tokens / chars;
    t.diagnostic(
      `held-out tokens/char ${perChar.toFixed(4)} (${tokens} tokens, ${chars} chars); ` +
        `training ${(trained.tokens / trained.chars).toFixed(4)}`,
    );
    assert.ok(perChar < 0.6, `tokens/char ${perChar}`);
  });

  it('is deterministic: the same text gives the identical tokenizer.json', () => {
    const again = trainBpe(documents, { vocabSize: 512 });
    assert.equal(
      JSON.stringify(llamaTokenizerJsonFromVocab(again.vocab)),
      JSON.stringify(llamaTokenizerJsonFromVocab(trained.vocab)),
    );
  });
});

describe('trainBpe input checks', () => {
  it('rejects no text and empty text', () => {
    assert.throws(() => trainBpe([], { vocabSize: 512 }), BpeTrainingError);
    assert.throws(() => trainBpe(['', ''], { vocabSize: 512 }), /expected some non-empty text/);
  });

  it('rejects a vocabulary smaller than the special and byte pieces', () => {
    assert.throws(
      () => trainBpe(['hello world'], { vocabSize: 258 }),
      /vocabSize: expected an integer ≥ 259/,
    );
  });

  it('says when the text is too small for the vocabulary', () => {
    assert.throws(() => trainBpe(['ab ab'], { vocabSize: 300 }), /ran out of pairs to merge/);
  });

  it('keeps only bytes at vocabulary 259, and still encodes everything', () => {
    const result = trainBpe(['hello world'], { vocabSize: 259 });
    assert.equal(result.vocab.pieces.length, 259);
    const tokenizer = loadTokenizerJson(llamaTokenizerJsonFromVocab(result.vocab), {});
    assert.deepEqual(tokenizer.encode('hi'), [3 + 0xe2, 3 + 0x96, 3 + 0x81, 3 + 0x68, 3 + 0x69]);
  });

  it('names the missing file, and asks for at least one', () => {
    assert.throws(() => readTrainingText([], { separator: '' }), /at least one text file/);
    assert.throws(
      () => readTrainingText(['/nonexistent/x.txt'], { separator: '' }),
      /\/nonexistent\/x\.txt: expected a readable text file/,
    );
  });

  it('cuts documents at separator lines and the byte cap at a character boundary', () => {
    assert.deepEqual(splitDocuments('one\n<|endoftext|>\ntwo\n\n<|endoftext|>\n', '<|endoftext|>'), [
      'one',
      'two',
    ]);
    assert.deepEqual(splitDocuments('a <|endoftext|> b', '<|endoftext|>'), ['a <|endoftext|> b']);
    const dir = mkdtempSync(join(tmpdir(), 'shorten-bpe-'));
    try {
      writeFileSync(join(dir, 'a.txt'), 'héllo');
      assert.deepEqual(readTrainingText([join(dir, 'a.txt')], { maxBytes: 2, separator: '' }), {
        documents: ['h'],
        bytesRead: 1,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shorten tokenizer train', { skip: missingFixture(TINYSTORIES_VAL) }, () => {
  async function run(args: string[]): Promise<string> {
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      const program = new Command('shorten').exitOverride();
      registerTokenizerCommands(program);
      await program.parseAsync(['node', 'shorten', ...args]);
    } finally {
      process.stdout.write = write;
    }
    return out;
  }

  it('trains on several files (comma-separated and repeated), capped by --max-bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shorten-bpe-cli-'));
    try {
      const stories = tinyStories(60);
      const files = [0, 1, 2].map((i) => join(dir, `t${i}.txt`));
      files.forEach((f, i) => writeFileSync(f, stories.slice(i * 20, i * 20 + 20).join('\n<|endoftext|>\n')));
      const out = join(dir, 'tok', 'tokenizer.json');
      const stdout = await run([
        'tokenizer',
        'train',
        '--text',
        `${files[0]},${files[1]}`,
        '--text',
        files[2],
        '--vocab',
        '340',
        '--max-bytes',
        '1000000',
        '--out',
        out,
        '--json',
      ]);
      const summary = JSON.parse(stdout) as Record<string, number>;
      assert.equal(summary.vocabSize, 340);
      assert.equal(summary.documents, 60);
      assert.ok(summary.tokensPerChar > 0 && summary.tokensPerChar < 1);
      assert.equal(loadTokenizerJson(out).vocabSize, 340);
      assert.equal(
        JSON.parse(readFileSync(join(dir, 'tok', 'tokenizer_config.json'), 'utf8')).bos_token,
        '<s>',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --vocab below 259', async () => {
    await assert.rejects(
      run(['tokenizer', 'train', '--text', 'x.txt', '--vocab', '100', '--out', 'never.json']),
      /--vocab must be an integer ≥ 259/,
    );
  });
});
