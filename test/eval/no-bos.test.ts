// A vocabulary without BOS (Qwen) against one that adds BOS (Llama 3), on a tiny random model:
// what perplexity, calibration, zero-shot (--bos auto|never|always), self-samples, packing,
// instruction rows and prompts put first, and that the commands say so.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { saveModel } from '../../src/formats/load.js';
import { perplexity, perplexitySegments } from '../../src/eval/perplexity.js';
import { contextPrefix } from '../../src/eval/zeroshot-bos.js';
import { encodePair } from '../../src/eval/zeroshot-encode.js';
import { scoreQuestions } from '../../src/eval/zeroshot.js';
import { LlamaInference } from '../../src/model/inference.js';
import { drawSelfSamples } from '../../src/pipeline/stages/self-samples.js';
import { sampleCalibration } from '../../src/text/calibration.js';
import { tokenizeInstruction } from '../../src/text/instruction-data.js';
import { packTextFiles } from '../../src/text/packing.js';
import { promptIds, sequenceStartToken } from '../../src/text/sequence-start.js';
import { loadTokenizerJson } from '../../src/text/tokenizer-json.js';
import { tinyModel } from '../prune/tiny-models.js';
import { byteLevelFixture, TRAINING_TEXT } from '../text/byte-level-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'shorten-no-bos-'));
after(() => rmSync(root, { recursive: true, force: true }));

const qwenFixture = byteLevelFixture('qwen2', 120);
const llamaFixture = byteLevelFixture('llama3', 120);
const qwen = loadTokenizerJson(qwenFixture.json, qwenFixture.config ?? {});
const llama = loadTokenizerJson(llamaFixture.json, llamaFixture.config ?? {});
const EOS = qwenFixture.ids['<|endoftext|>'];
const BOS = llamaFixture.ids['<|begin_of_text|>'];
const vocabSize = Math.max(qwen.vocabSize, llama.vocabSize);
const weights = tinyModel(9, { vocabSize, maxSeqLen: 64 });
const model = new LlamaInference(weights, 'tiny');
const docs = TRAINING_TEXT.split('\n').filter((l) => l.length > 60);

describe('a vocabulary without BOS', () => {
  it('perplexity: the start token is EOS for Qwen (the harness’s prefix_token_id), BOS for Llama 3', () => {
    const stream = qwen.encode(TRAINING_TEXT);
    const start = sequenceStartToken(qwen);
    assert.deepEqual(start, { id: EOS, piece: '<|endoftext|>', kind: 'eos' });
    const first = perplexitySegments(stream, 16, 'first', start.id);
    assert.equal(first[0][0], EOS);
    assert.deepEqual(first[1], stream.slice(15, 31));
    const every = perplexitySegments(stream, 16, 'every', start.id);
    assert.ok(every.every((s) => s[0] === EOS && s.length === 16));
    assert.ok(Number.isFinite(perplexity(model, every).ppl));
    assert.deepEqual(sequenceStartToken(llama), { id: BOS, piece: '<|begin_of_text|>', kind: 'bos' });
  });

  it('calibration: documents get the BOS the tokenizer adds, and none for Qwen', () => {
    const settings = { samples: 3, seqLen: 8, seed: 1 };
    const q = sampleCalibration(docs, qwen, settings);
    for (const w of q.windows) {
      assert.ok(!w.tokens.includes(EOS));
      assert.deepEqual(w.tokens, qwen.encode(docs[w.document]).slice(w.start, w.start + 8));
    }
    assert.match(q.documentStart!, /no BOS/);
    const l = sampleCalibration(docs, llama, settings);
    for (const w of l.windows)
      assert.deepEqual(w.tokens, [BOS, ...llama.encode(docs[w.document])].slice(w.start, w.start + 8));
    assert.match(l.documentStart!, /BOS "<\|begin_of_text\|>"/);
  });

  it('zero-shot contexts: auto follows add_bos_token, never puts nothing, always puts BOS (EOS without one)', () => {
    const ctx = 'Question: which one?';
    const cases: [typeof qwen, 'auto' | 'never' | 'always', number[]][] = [
      [llama, 'auto', [BOS]],
      [llama, 'never', []],
      [llama, 'always', [BOS]],
      [qwen, 'auto', []],
      [qwen, 'never', []],
      [qwen, 'always', [EOS]],
    ];
    for (const [tok, mode, prefix] of cases) {
      const p = encodePair(tok, ctx + ' ', 'Answer', 64, contextPrefix(tok, mode));
      assert.deepEqual(p.context, [...prefix, ...tok.encode(ctx)], `${mode}`);
      assert.deepEqual(p.continuation, tok.encode(ctx + ' Answer').slice(tok.encode(ctx).length));
    }
    // An empty context is scored after one token: the start token, or EOS for the pinned harness.
    assert.deepEqual(encodePair(llama, '', 'Answer', 64, contextPrefix(llama, 'auto')).context, [BOS]);
    assert.deepEqual(encodePair(llama, '', 'Answer', 64, contextPrefix(llama, 'never')).context, [
      llama.eosId,
    ]);
    assert.match(contextPrefix(qwen, 'auto').description, /no BOS .*\(no BOS token/);
    assert.match(contextPrefix(qwen, 'always').description, /EOS "<\|endoftext\|>" .* standing in/);
  });

  it('zero-shot scores run in each mode, and the BOS changes the log-likelihoods', () => {
    const q = {
      contexts: ['The little girl named', 'The little girl named'],
      continuations: [' Lily', ' Zürich'],
      normLengths: [5, 7],
      gold: 0,
    };
    const run = (tok: typeof qwen, mode: 'auto' | 'never' | 'always'): number[] => {
      const s = scoreQuestions(model, tok, [q], { prefix: contextPrefix(tok, mode) });
      assert.equal(s.n, 1);
      return [s.acc, s.acc_norm];
    };
    for (const mode of ['auto', 'never', 'always'] as const) {
      run(qwen, mode);
      run(llama, mode);
    }
  });

  it('self-samples, packing, instruction rows and prompts start as the tokenizer does', () => {
    const s = drawSelfSamples(
      model,
      sequenceStartToken(qwen),
      { calib: 2, eval: 1, heal: 0 },
      6,
      3,
      () => {},
    );
    for (const row of [...s.calib, ...s.eval]) assert.equal(row[0], EOS);
    assert.equal(s.start?.kind, 'eos');
    const packed = packTextFiles(['one two three\n\nfour five'], qwen, 4);
    const stream = packed.rows.flatMap((r) => [...r.ids]);
    assert.deepEqual(
      stream,
      [...qwen.encode('one two three'), EOS, ...qwen.encode('four five'), EOS].slice(0, stream.length),
    );
    const row = tokenizeInstruction({ instruction: 'Say hi', input: '', output: 'hi' }, qwen, {
      cutoff: 256,
      trainOnInputs: false,
    });
    assert.notEqual(row.ids[0], EOS);
    assert.equal(row.ids[row.ids.length - 1], EOS);
    assert.deepEqual(promptIds(qwen, ''), [EOS]);
    assert.deepEqual(promptIds(qwen, 'Hi'), qwen.encode('Hi'));
    assert.deepEqual(promptIds(llama, 'Hi'), [BOS, ...llama.encode('Hi')]);
  });
});

describe('the commands say what they used instead of BOS', () => {
  const cli = fileURLToPath(new URL('../reliability/shorten-cli.ts', import.meta.url));
  const folder = join(root, 'qwen-hf');
  saveModel(weights, folder, 'hf', {
    extraFiles: {
      'tokenizer.json': JSON.stringify(qwenFixture.json),
      'tokenizer_config.json': JSON.stringify(qwenFixture.config),
    },
  });
  const text = join(root, 'text.txt');
  writeFileSync(text, TRAINING_TEXT);
  const tasks = join(root, 'tasks');
  mkdirSync(tasks);
  writeFileSync(
    join(tasks, 'piqa.jsonl'),
    [
      '{"query": "Goal: open a jar", "choices": ["twist the lid", "eat the lid"], "gold": 0}',
      '{"query": "Goal: dry hair", "choices": ["use a towel", "use a spoon"], "gold": 0}',
    ].join('\n') + '\n',
  );
  const run = (...args: string[]): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
  const shorten = (...args: string[]): string => {
    const r = run(...args);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it('eval ppl: --bos first and every with EOS standing in, in JSON and text', () => {
    const json = JSON.parse(
      shorten('eval', 'ppl', folder, '--text', text, '--seq-len', '16', '--bos', 'every', '--json'),
    ) as Record<string, unknown>;
    assert.equal(json.bos, 'every');
    assert.deepEqual(json.startToken, { id: EOS, piece: '<|endoftext|>', kind: 'eos' });
    assert.match(
      shorten('eval', 'ppl', folder, '--text', text, '--seq-len', '16'),
      /bos first: EOS "<\|endoftext\|>" \(id \d+\), standing in for the BOS the vocabulary lacks at the start of the text/,
    );
  });

  it('eval zeroshot: --bos reported with the results', () => {
    const json = JSON.parse(
      shorten(
        'eval',
        'zeroshot',
        folder,
        '--tasks',
        'piqa',
        '--data-dir',
        tasks,
        '--bos',
        'always',
        '--json',
      ),
    ) as {
      bos: { mode: string; token: { kind: string } | null };
    };
    assert.equal(json.bos.mode, 'always');
    assert.equal(json.bos.token?.kind, 'eos');
    assert.match(
      shorten('eval', 'zeroshot', folder, '--tasks', 'piqa', '--data-dir', tasks),
      /bos auto: no BOS before the contexts/,
    );
    const bad = run('eval', 'zeroshot', folder, '--tasks', 'piqa', '--data-dir', tasks, '--bos', 'sometimes');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--bos must be one of auto, never, always/);
  });
});
