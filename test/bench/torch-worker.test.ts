// The PyTorch worker's protocol on a tiny model, where PyTorch is installed: it builds once, answers
// each workload with its seconds (and what the workload returns), runs in the tuned environment,
// reports its peak memory when closed, and a failing worker's error carries its traceback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTorchPython } from '../../src/bench/torch-runner.js';
import { TorchWorker } from '../../src/bench/torch-worker.js';

const skip = findTorchPython() ? false : 'PyTorch is not installed';
const tiny = { hidden: 64, layers: 2, heads: 8, kv_heads: 4, mlp: 172, vocab: 512, tie: true };

test(
  'a score worker answers taylor and the naive sweep, one score per block, in bf16',
  { skip },
  async () => {
    const { worker, info } = await TorchWorker.start(
      'score',
      { ...tiny, dtype: 'bf16', batch: 2, seq: 8 },
      1,
    );
    try {
      assert.equal(info.threads, 1);
      assert.match(info.runs_in, /model\.to\(torch\.bfloat16\).*all bf16/);
      const t = await worker.run('taylor');
      assert.ok(t.seconds > 0);
      assert.equal((t.scores as number[]).length, 2);
      const s = await worker.run('ppl_sweep');
      assert.equal((s.losses as number[]).length, 2);
    } finally {
      const end = await worker.close();
      assert.ok(end.peak_rss_bytes! > 0);
    }
  },
);

test('a model worker runs forward, forward + backward and decode', { skip }, async () => {
  const { worker } = await TorchWorker.start(
    'model',
    { ...tiny, dtype: 'f32', batch: 1, seq: 4, decode_tokens: 2 },
    1,
  );
  try {
    for (const op of ['forward', 'forward_backward', 'release', 'decode'])
      assert.ok((await worker.run(op)).seconds >= 0, op);
  } finally {
    await worker.close();
  }
});

test('an unknown workload ends the worker with its traceback in the error', { skip }, async () => {
  const { worker } = await TorchWorker.start(
    'train',
    { ...tiny, mode: 'lora', r: 2, alpha: 4, dropout: 0, batch: 1, seq: 4 },
    1,
  );
  await assert.rejects(worker.run('no_such_op'), /PyTorch worker exited \(exit 1\).*KeyError: 'no_such_op'/s);
  await worker.close();
});
