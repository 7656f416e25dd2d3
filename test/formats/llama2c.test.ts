// llama2.c checkpoints: byte-exact rewrite of the fixture, and headers promising more than the file holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/formats/errors.js';
import { readLlama2c, writeLlama2c } from '../../src/formats/llama2c.js';
import { STORIES_BIN, tempDir } from './temp-dir.js';
import { missingFixture } from '../helpers/fixtures.js';

test(
  'stories260K.bin reads with the fixture facts and rewrites byte for byte',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const read = readLlama2c(STORIES_BIN);
    const c = read.weights.config;
    assert.deepEqual(
      [c.hiddenSize, c.intermediateSize, c.numLayers, c.numHeads, c.numKvHeads, c.vocabSize, c.maxSeqLen],
      [64, 172, 5, 8, 4, 512, 512],
    );
    assert.equal(c.tieWordEmbeddings, true);
    assert.equal(c.rmsNormEps, 1e-5);
    assert.equal(read.weights.tensors.has('lm_head.weight'), false);
    const out = join(tempDir(t), 'copy.bin');
    writeLlama2c(out, read.weights, read.ropeTables);
    assert.ok(readFileSync(out).equals(readFileSync(STORIES_BIN)));
  },
);

test('an unshared classifier (negative vocab) round trips', { skip: missingFixture(STORIES_BIN) }, (t) => {
  const read = readLlama2c(STORIES_BIN);
  const embedding = read.weights.tensors.get('model.embed_tokens.weight')!;
  const lmHead = { ...embedding, data: (embedding.data as Float32Array).map((v) => v * 2) };
  const weights = {
    config: { ...read.weights.config, tieWordEmbeddings: false },
    tensors: new Map([...read.weights.tensors, ['lm_head.weight', lmHead]]),
  };
  const out = join(tempDir(t), 'untied.bin');
  writeLlama2c(out, weights);
  assert.equal(readFileSync(out).readInt32LE(20), -512);
  const back = readLlama2c(out);
  assert.equal(back.weights.config.tieWordEmbeddings, false);
  assert.deepEqual([...back.weights.tensors.get('lm_head.weight')!.data], [...lmHead.data]);
});

test(
  'a file too short for its header shapes, or with a bad header, is refused naming the field',
  { skip: missingFixture(STORIES_BIN) },
  (t) => {
    const dir = tempDir(t);
    const whole = readFileSync(STORIES_BIN);
    const short = join(dir, 'short.bin');
    writeFileSync(short, whole.subarray(0, whole.length - 4));
    assert.throws(
      () => readLlama2c(short),
      (e: unknown) =>
        e instanceof FormatError &&
        e.file === short &&
        e.field === 'weights' &&
        /1056512 bytes/.test(e.message),
    );
    const tiny = join(dir, 'tiny.bin');
    writeFileSync(tiny, whole.subarray(0, 10));
    assert.throws(
      () => readLlama2c(tiny),
      (e: unknown) => e instanceof FormatError && e.field === 'header',
    );
    const badHeads = Buffer.from(whole);
    badHeads.writeInt32LE(7, 12); // n_heads 7 does not divide dim 64
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, badHeads);
    assert.throws(
      () => readLlama2c(bad),
      (e: unknown) => e instanceof FormatError && e.field === 'header.n_heads',
    );
    const huge = Buffer.from(whole);
    huge.writeInt32LE(0x7fffffff, 0);
    huge.writeInt32LE(0x7fffffff, 4);
    const hugePath = join(dir, 'huge.bin');
    writeFileSync(hugePath, huge);
    assert.throws(() => readLlama2c(hugePath), FormatError);
  },
);
