// Opt-in (SHORTEN_INTEROP=1): a pruned stories260K GGUF loads in llama.cpp (through the npm package
// node-llama-cpp, installed into a temporary folder because it is large) and its greedy continuation
// of a prompt, compared as token ids, equals ours on the same pruned file.
// SHORTEN_NODE_LLAMA_CPP_DIR may name a folder where node-llama-cpp is already installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/model/generate.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { cutModel, planDepthPrune, pruneRecord, writePrunedModel } from '../../src/prune/depth-prune.js';
import { readCalibrationDocuments, sampleCalibration } from '../../src/text/calibration.js';
import { missingFixture, STORIES260K_BIN, TINYSTORIES_VAL } from '../helpers/fixtures.js';

const RUNNER = `
import { getLlama } from 'node-llama-cpp';
const [modelPath, promptJson, n] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 256 });
const out = [];
for await (const t of context.getSequence().evaluate(JSON.parse(promptJson), { temperature: 0 })) {
  out.push(t);
  if (out.length >= Number(n)) break;
}
console.log(JSON.stringify(out));
await context.dispose();
await model.dispose();
await llama.dispose();
`;

test(
  'a pruned GGUF runs in llama.cpp with the same greedy continuation as ours',
  {
    skip:
      process.env.SHORTEN_INTEROP !== '1'
        ? 'opt-in: set SHORTEN_INTEROP=1 (installs node-llama-cpp from npm)'
        : missingFixture(STORIES260K_BIN, TINYSTORIES_VAL),
    timeout: 900_000,
  },
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'shorten-interop-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const m = openModel(STORIES260K_BIN);
    const calib = sampleCalibration(readCalibrationDocuments(TINYSTORIES_VAL), m.tokenizer, {
      samples: 10,
      seqLen: 128,
      seed: 1234,
    });
    const opts = {
      unit: 'block',
      criterion: 'taylor',
      remove: '1',
      protectFirst: 1,
      protectLast: 1,
      calib,
    } as const;
    const plan = planDepthPrune(m.weights, opts);
    const pruned = cutModel(m.weights, 'block', plan.removed);
    const gguf = join(dir, 'pruned.gguf');
    writePrunedModel(
      pruned,
      m.tokenizer,
      gguf,
      'gguf',
      pruneRecord(STORIES260K_BIN, m.weights, pruned, plan, opts),
    );

    let pkgDir = process.env.SHORTEN_NODE_LLAMA_CPP_DIR;
    if (!pkgDir) {
      pkgDir = join(dir, 'llama');
      spawnSync('mkdir', ['-p', pkgDir]);
      writeFileSync(join(pkgDir, 'package.json'), '{"name":"interop","private":true,"type":"module"}');
      const npm = spawnSync('npm', ['install', 'node-llama-cpp@3', '--no-audit', '--no-fund'], {
        cwd: pkgDir,
        encoding: 'utf8',
      });
      assert.equal(npm.status, 0, `npm install node-llama-cpp failed: ${npm.stderr.slice(-2000)}`);
    }
    writeFileSync(join(pkgDir, 'greedy.mjs'), RUNNER);

    const reloaded = openModel(gguf);
    const prompt = [reloaded.tokenizer.bosId, ...reloaded.tokenizer.encode('Once upon a time')];
    const n = 32;
    const run = spawnSync(
      process.execPath,
      [join(pkgDir, 'greedy.mjs'), gguf, JSON.stringify(prompt), String(n)],
      {
        cwd: pkgDir,
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, `node-llama-cpp failed: ${run.stderr.slice(-2000)}`);
    const theirs = JSON.parse(run.stdout.trim().split('\n').pop()!) as number[];
    const ours = generate(inferenceOf(reloaded), [prompt], {
      maxNewTokens: n,
      greedy: true,
      stopAtEos: false,
    }).tokens[0];
    assert.ok(theirs.length >= 16, `llama.cpp produced only ${theirs.length} tokens`);
    assert.deepEqual(theirs, ours.slice(0, theirs.length));
  },
);
