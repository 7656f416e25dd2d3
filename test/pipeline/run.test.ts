// `shorten run` end to end on the project's random twin of stories260K (5 blocks) with tiny budgets
// and synthetic task rows: the report holds an SVG per chart,
// summary.json carries finite figures, a rerun skips every stage, --force heal redoes only heal,
// --heal kd distills from the original on self-samples, `shorten report` rebuilds, and a bad config
// field is bad usage (exit 2) naming the field.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { registerRunCommands } from '../../src/cli/run-commands.js';
import { DEFAULT_MODEL_DIR } from '../../src/pipeline/default-model.js';
import { resolveRunConfig, RunConfigError } from '../../src/pipeline/run-config.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { RunOutcome } from '../../src/pipeline/run.js';
import { runProgress } from '../../src/pipeline/run-progress.js';
import { STAGES } from '../../src/report/results.js';
import { writeSyntheticTasks } from '../helpers/project-data.js';
import { smallTwinFiles } from '../helpers/project-models.js';
const CHARTS = ['importance', 'sweep', 'stages', 'heal-loss', 'bench'];

/** Tiny budgets: 5 blocks, one removed; every stage runs in a second or two. */
const TINY_CONFIG = `# run settings for the test
protect-first: 1
protect-last: 1
remove: 1
seq-len: 64
calib-samples: 4
eval-samples: 4
heal-samples: 16
heal-steps: 3
heal-batch: 4
bench-batch-sizes: [1, 2]
bench-new-tokens: 8
bench-budget: 0
bench-warmup: 0
tasks: piqa
zeroshot-limit: 4
`;

/** Runs `shorten <args>` through the registrar in this process; returns what it printed on stdout. */
async function cli(args: string[]): Promise<string> {
  const program = new Command('shorten').exitOverride();
  registerRunCommands(program);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'shorten', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

/** The parts of summary.json the test reads. */
interface Summary {
  blocks: { before: number; after: number; removed: number[] };
  parameters: { before: number; after: number };
  perplexity: Record<'original' | 'pruned' | 'healed', number>;
  healing: { steps: number; method: string };
  zeroshot: { ran: boolean; original: { tasks: { piqa: { n: number } } } };
  calibration: { kind: string };
  perplexity_sweep: { criterion: string; removed: number; ppl: number }[];
  importance: unknown[];
  benchmark: { rows: unknown[]; speedup_by_batch: Record<string, number> };
}

function resultFiles(dir: string): Map<string, string> {
  return new Map(STAGES.map((s) => [s, readFileSync(join(dir, s, 'result.json'), 'utf8')]));
}

function finiteNumbers(value: unknown, path: string): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => finiteNumbers(v, `${path}[${i}]`));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) finiteNumbers(v, `${path}.${k}`);
}

describe('shorten run', () => {
  let root: string;
  let dir: string;
  let config: string;
  let model: string;
  let tasks: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'shorten-run-'));
    dir = join(root, 'run');
    config = join(root, 'run.yaml');
    writeFileSync(config, TINY_CONFIG);
    model = smallTwinFiles(join(root, 'model')).gguf;
    tasks = writeSyntheticTasks(join(root, 'tasks'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('runs every stage and writes the report, summary and tables', async () => {
    // The file says 3 healing steps; the flag says 4 and wins.
    const out = await cli([
      'run',
      model,
      '--config',
      config,
      '--out',
      dir,
      '--heal-steps',
      '4',
      '--data-dir',
      tasks,
      '--quiet',
      '--json',
    ]);
    const outcome = JSON.parse(out) as RunOutcome;
    assert.deepEqual(
      outcome.stages.map((s) => [s.stage, s.status]),
      STAGES.map((s) => [s, 'ran']),
    );
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const id of CHARTS) {
      const m = new RegExp(`<figure id="chart-${id}">\\s*<svg[^>]*>([\\s\\S]*?)</svg>`).exec(html);
      assert.ok(m, `report.html has no SVG for chart ${id}`);
      assert.ok(/<(path|rect|line|text)\b/.test(m[1]), `chart ${id} draws nothing`);
    }
    assert.doesNotMatch(html, /<script|<link|src="http|url\(http/);

    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
    finiteNumbers(summary, 'summary');
    assert.equal(summary.blocks.before, 5);
    assert.equal(summary.blocks.after, 4);
    assert.equal(summary.blocks.removed.length, 1);
    assert.ok(summary.parameters.after < summary.parameters.before);
    for (const k of ['original', 'pruned', 'healed'] as const)
      assert.ok(summary.perplexity[k] > 1, `perplexity.${k} = ${summary.perplexity[k]}`);
    assert.equal(summary.healing.steps, 4, 'the --heal-steps flag overrides the file');
    assert.equal(summary.healing.method, 'lora');
    assert.ok(summary.zeroshot.ran);
    assert.equal(summary.zeroshot.original.tasks.piqa.n, 4);
    assert.equal(summary.calibration.kind, 'self');
    assert.equal(summary.perplexity_sweep.filter((p) => p.criterion === 'taylor').length, 4);
    assert.equal(summary.importance.length, 3);
    assert.equal(summary.benchmark.rows.length, 4);
    assert.ok(summary.benchmark.speedup_by_batch['1'] > 0);
    // The pruned point of the sweep is the pruned model's perplexity.
    const chosen = summary.perplexity_sweep.find((p) => p.criterion === 'taylor' && p.removed === 1);
    assert.equal(chosen?.ppl, summary.perplexity.pruned);
    assert.match(html, /optimistic/, 'the report says self-sample perplexity is optimistic');
    for (const t of ['importance', 'perplexity_sweep', 'models', 'heal_loss', 'benchmark', 'zeroshot'])
      assert.ok(existsSync(join(dir, 'tables', `${t}.csv`)), `${t}.csv`);
    assert.equal(
      readFileSync(join(dir, 'tables', 'heal_loss.csv'), 'utf8')
        .trim()
        .split('\n').length,
      5,
      'a header and one row per step',
    );
  });

  test('a rerun skips every stage and changes nothing', async () => {
    const before = resultFiles(dir);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const outcome = await runPipeline(resolveRunConfig({}, null, { model: model, out: dir }), {
      progress: runProgress({ quiet: true }),
    });
    assert.deepEqual(
      outcome.stages.map((s) => s.status),
      STAGES.map(() => 'skipped'),
    );
    assert.deepEqual(resultFiles(dir), before);
    assert.equal(readFileSync(join(dir, 'report.html'), 'utf8'), html);
  });

  test('--force heal redoes the healing stage and rebuilds the report, nothing else', async () => {
    const before = resultFiles(dir);
    const mtimes = new Map(STAGES.map((s) => [s, statSync(join(dir, s, 'result.json')).mtimeMs]));
    const out = await cli([
      'run',
      model,
      '--config',
      config,
      '--out',
      dir,
      '--force',
      'heal',
      '--quiet',
      '--json',
    ]);
    const outcome = JSON.parse(out) as RunOutcome;
    assert.deepEqual(
      outcome.stages.filter((s) => s.status === 'ran').map((s) => s.stage),
      ['heal', 'report'],
    );
    for (const s of STAGES.filter((x) => x !== 'heal' && x !== 'report')) {
      assert.equal(statSync(join(dir, s, 'result.json')).mtimeMs, mtimes.get(s), s);
      assert.equal(readFileSync(join(dir, s, 'result.json'), 'utf8'), before.get(s), s);
    }
    const heal = JSON.parse(readFileSync(join(dir, 'heal', 'result.json'), 'utf8')) as { steps: number };
    assert.equal(heal.steps, 3, 'the file now sets the step count');
    assert.match(
      readFileSync(join(dir, 'report.html'), 'utf8'),
      /after 3 steps of LoRA/,
      'the report shows the redone heal',
    );
  });

  test('shorten report rebuilds the report from the results', async () => {
    rmSync(join(dir, 'report.html'));
    rmSync(join(dir, 'summary.json'));
    await cli(['report', dir]);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<figure id="chart-bench">\s*<svg/);
    assert.ok(existsSync(join(dir, 'summary.json')));
  });

  test('--heal kd distills the original into the pruned model on its self-samples; the healing chart shows KD', async () => {
    const out = await cli([
      'run',
      model,
      '--config',
      config,
      '--out',
      dir,
      '--heal',
      'kd',
      '--force',
      'heal',
      '--quiet',
      '--json',
    ]);
    const outcome = JSON.parse(out) as RunOutcome;
    assert.deepEqual(
      outcome.stages.filter((s) => s.status === 'ran').map((s) => s.stage),
      ['heal', 'report'],
    );
    const heal = JSON.parse(readFileSync(join(dir, 'heal', 'result.json'), 'utf8')) as {
      method: string;
      data: { kind: string };
      log: { kl?: number; ce?: number; val_kl?: number }[];
      settings: { teacher: string };
    };
    assert.equal(heal.method, 'kd');
    assert.equal(heal.data.kind, 'self', 'data-free: the text the original sampled');
    assert.equal(heal.settings.teacher, 'the original model');
    assert.ok(heal.log.every((r) => Number.isFinite(r.kl) && Number.isFinite(r.ce)));
    assert.ok(heal.log.some((r) => r.val_kl !== undefined));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const chart = /<figure id="chart-heal-loss">\s*<svg[^>]*>([\s\S]*?)<\/svg>/.exec(html);
    assert.ok(chart, 'a healing chart');
    assert.match(chart[1], /KD: KL to the original \(training\)/);
    assert.match(chart[1], /KD: cross-entropy \(validation\)/);
    assert.match(html, /after 3 steps of KD/);
    assert.match(html, /no data was used/);
  });

  test('a wrong config field names the field and what is allowed', () => {
    assert.throws(
      () => resolveRunConfig({ 'heal-stpes': 3 }, 'run.yaml', {}),
      (e: Error) =>
        e instanceof RunConfigError &&
        /run\.yaml: unknown field 'heal-stpes' \(allowed: .*heal-steps/.test(e.message),
    );
    assert.throws(
      () => resolveRunConfig({ heal: 'magic' }, 'run.yaml', {}),
      (e: Error) => /run\.yaml: field 'heal': .*"lora"\|"cpt"\|"none"/.test(e.message),
    );
    assert.throws(
      () => resolveRunConfig({}, null, { 'heal-steps': 'many' }),
      (e: Error) => /field 'heal-steps': .*number/.test(e.message),
    );
  });

  test('bad usage exits with code 2 and a one-line cause on stderr', () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'heal-stpes': 3 }));
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(main)}; await main(['node', 'shorten', 'run', '--config', ${JSON.stringify(bad)}, '--out', ${JSON.stringify(join(root, 'never'))}]);`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^shorten: .*bad\.json: unknown field 'heal-stpes' \(allowed: /);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(join(root, 'never')));
  });

  test(
    'without a model it needs the embedded default model',
    { skip: existsSync(DEFAULT_MODEL_DIR) && 'the embedded default model is present' },
    async () => {
      await assert.rejects(
        runPipeline(resolveRunConfig({}, null, { out: join(root, 'default') }), {
          progress: runProgress({ quiet: true }),
        }),
        /no embedded default model at .*models\/default; give a model/,
      );
    },
  );
});
