// The generation benchmark and the measurement commands: exact token counts, KV-cache bytes
// from the cache's geometry, one row per model and batch size, and the CLI's JSON shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingFixture, STORIES260K_BIN, TASKS_DIR } from '../helpers/fixtures.js';
import { writeSyntheticTasks } from '../helpers/project-data.js';
import { DEFAULT_MODEL } from '../helpers/project-models.js';
import { benchGenerate } from '../../src/bench/generate.js';
import { formatGenerateBench } from '../../src/bench/generate-format.js';
import { syntheticLlama } from '../../src/bench/synthetic-model.js';
import { Command } from 'commander';
import { registerMeasureCommands } from '../../src/cli/measure-commands.js';
import { LlamaInference } from '../../src/model/inference.js';
import { removeBlocks } from '../../src/prune/cut.js';

async function runCli(args: string[]): Promise<string> {
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    const program = new Command('shorten').exitOverride();
    registerMeasureCommands(program, program.command('eval'), program.command('bench'));
    await program.parseAsync(['node', 'shorten', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('benchGenerate measures every model at every batch size with the KV cache its geometry implies', () => {
  const small = {
    hiddenSize: 64,
    intermediateSize: 96,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    vocabSize: 300,
    maxSeqLen: 64,
  };
  const w = syntheticLlama(small, { seed: 2 });
  const models = [
    { name: 'full', inference: new LlamaInference(w), promptIds: [1, 5, 6, 7] },
    { name: 'depth', inference: new LlamaInference(removeBlocks(w, [1])), promptIds: [1, 5, 6, 7] },
  ];
  const r = benchGenerate(models, {
    batchSizes: [1, 3],
    newTokens: 5,
    warmup: 1,
    budgetS: 0,
    precision: 0.05,
  });
  assert.deepEqual(
    r.rows.map((x) => [x.batch, x.model]),
    [
      [1, 'full'],
      [1, 'depth'],
      [3, 'full'],
      [3, 'depth'],
    ],
  );
  for (const row of r.rows) {
    const layers = row.model === 'full' ? 4 : 3;
    // keys + values, f32, [batch, kvHeads, prompt + new tokens, headDim] per block.
    assert.equal(row.kv_cache_bytes, 2 * 4 * layers * row.batch * 2 * (4 + 5) * 16);
    assert.ok(Math.abs(row.throughput_tokens_per_s * row.latency_s - row.batch * 5) < 1e-6);
    assert.ok(row.peak_rss_bytes > 0);
  }
  assert.equal(r.models[1].blocks, 3);
  assert.deepEqual(
    r.speedups.map((x) => [x.model, x.batch, x.ideal_basis]),
    [
      ['depth', 1, 'weight bytes'],
      ['depth', 3, 'FLOPs'],
    ],
  );
  // One block of four gone: the blocks' share of the weight bytes shrinks by a quarter.
  assert.ok(r.speedups[0].ideal > 1 && r.speedups[0].ideal < 4 / 3, `${r.speedups[0].ideal}`);
  assert.match(formatGenerateBench(r), /depth\s+3\s+1\s/);
});

const CLI_SUBJECTS = [
  { name: 'the default model and synthetic task rows', model: DEFAULT_MODEL, tasks: null, skip: false },
  {
    name: 'stories260K and the real task files',
    model: STORIES260K_BIN,
    tasks: TASKS_DIR,
    skip: missingFixture(STORIES260K_BIN, TASKS_DIR),
  },
] as const;

for (const subject of CLI_SUBJECTS)
  test(
    `CLI: eval zeroshot --json and bench generate --json on ${subject.name}`,
    { skip: subject.skip },
    async (t) => {
      let taskDir = subject.tasks as string | null;
      if (taskDir === null) {
        const dir = mkdtempSync(join(tmpdir(), 'shorten-bench-tasks-'));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        taskDir = writeSyntheticTasks(dir);
      }
      const zs = JSON.parse(
        await runCli([
          'eval',
          'zeroshot',
          subject.model,
          '--tasks',
          'winogrande,openbookqa',
          '--limit',
          '3',
          '--data-dir',
          taskDir,
          '--json',
        ]),
      ) as { tasks: Record<string, { acc: number; acc_norm: number; n: number }>; average: number };
      assert.deepEqual(Object.keys(zs.tasks), ['winogrande', 'openbookqa']);
      assert.equal(zs.tasks.winogrande.n, 3);
      assert.ok(
        Math.abs(zs.average - ((zs.tasks.winogrande.acc + zs.tasks.openbookqa.acc_norm) / 2) * 100) < 1e-9,
      );
      const bench = JSON.parse(
        await runCli([
          'bench',
          'generate',
          subject.model,
          '--batch-sizes',
          '1,2',
          '--new-tokens',
          '4',
          '--budget',
          '0',
          '--warmup',
          '0',
          '--json',
        ]),
      ) as { rows: { batch: number }[]; models: { prompt_tokens: number }[] };
      assert.deepEqual(
        bench.rows.map((x) => x.batch),
        [1, 2],
      );
      assert.ok(bench.models[0].prompt_tokens > 1);
    },
  );
