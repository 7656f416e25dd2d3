// `shorten score | prune`: block importance and depth pruning.
import type { Command } from 'commander';
import { openModel } from '../pipeline/open-model.js';
import type { OpenedModel } from '../pipeline/open-model.js';
import { runWidthPrune } from '../prune/width/command.js';
import { CalibrationTooSmallError, loadCalibration } from '../prune/calibration-source.js';
import { CRITERIA, ITERATIVE_CRITERIA, NEEDS_CALIBRATION, scoreUnits } from '../prune/criteria/index.js';
import { cutModel, planDepthPrune, pruneRecord, writePrunedModel } from '../prune/depth-prune.js';
import { candidateBlocks, parseRemoveTarget } from '../prune/plan.js';
import { scoresDocument, writeScoreFiles } from '../prune/score-files.js';
import type { ScoreSettings } from '../prune/score-files.js';
import { PRUNE_UNITS, presentUnits } from '../prune/units.js';
import type { PruneUnit } from '../prune/units.js';
import type { CalibrationSet } from '../text/calibration.js';
import { intOption, UsageError } from './options.js';

interface CommonOpts {
  criterion?: string;
  calib?: string;
  field?: string;
  samples: string;
  seqLen: string;
  seed: string;
  unit: string;
  run?: string;
  allTokens?: boolean;
  iterative?: boolean;
  batchSize?: string;
  protectFirst: string;
  protectLast: string;
  remove?: string;
  tokenizer?: string;
  json?: boolean;
}

function addCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      '--calib <file>',
      'calibration text: documents separated by blank lines or <|endoftext|> lines, JSONL (with --field), or a calib.json',
    )
    .option('--field <name>', 'JSONL: the field holding the text')
    .option('--samples <n>', 'calibration windows', '10')
    .option('--seq-len <n>', 'tokens per window', '128')
    .option('--seed <n>', 'calibration sampling seed', '1234')
    .option('--unit <unit>', 'block | attn | mlp: what is scored and removed', 'block')
    .option('--run <n>', 'angular: blocks per run (prune: the number removed)')
    .option('--all-tokens', 'angular: compare every token, not only the last of each window')
    .option('--iterative', 'ppl, bi: remove the least important, re-score what remains, repeat')
    .option('--batch-size <n>', 'calibration windows per forward batch (default: all)')
    .option('--protect-first <n>', 'blocks at the start that are never removed', '4')
    .option('--protect-last <n>', 'blocks at the end that are never removed', '2')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint')
    .option('--json', 'print JSON on stdout');
}

function progress(label: string, quiet: boolean): ((done: number, total: number) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  const start = Date.now();
  return (done, total) => {
    const s = (Date.now() - start) / 1000;
    const eta = done > 0 ? (s / done) * (total - done) : 0;
    process.stderr.write(`\r${label}: ${done}/${total}  ${s.toFixed(1)} s, ETA ${eta.toFixed(1)} s   `);
    if (done === total) process.stderr.write('\n');
  };
}

function parseUnit(u: string): PruneUnit {
  if (!(PRUNE_UNITS as readonly string[]).includes(u))
    throw new UsageError(`--unit must be block, attn or mlp (got '${u}')`);
  return u as PruneUnit;
}

function parseCriterion(c: string | undefined): string | undefined {
  if (c !== undefined && !(c in CRITERIA))
    throw new UsageError(`--criterion must be one of ${Object.keys(CRITERIA).join(', ')} (got '${c}')`);
  return c;
}

function calibrationFor(m: OpenedModel, o: CommonOpts, criterion: string | undefined): CalibrationSet | null {
  if (!criterion || !NEEDS_CALIBRATION.has(criterion)) return null;
  if (!o.calib) throw new UsageError(`criterion '${criterion}' needs --calib FILE`);
  const settings = {
    samples: intOption(o.samples, '--samples', 1),
    seqLen: intOption(o.seqLen, '--seq-len', 2),
    seed: intOption(o.seed, '--seed', 0),
  };
  try {
    return loadCalibration(o.calib, m.tokenizer, settings, o.field);
  } catch (e) {
    if (e instanceof CalibrationTooSmallError) throw new UsageError(e.message);
    throw e;
  }
}

function settingsOf(
  o: CommonOpts,
  criterion: string,
  unit: PruneUnit,
  calib: CalibrationSet | null,
): ScoreSettings {
  return {
    criterion,
    unit,
    iterative: Boolean(o.iterative),
    calib: calib ? calib.source : null,
    ...(calib?.documentStart ? { documentStart: calib.documentStart } : {}),
    ...(o.field ? { field: o.field } : {}),
    ...(calib
      ? { samples: calib.windows.length, seqLen: calib.settings.seqLen, seed: calib.settings.seed }
      : {}),
    ...(o.batchSize ? { batchSize: Number(o.batchSize) } : {}),
    ...(o.run ? { run: Number(o.run) } : {}),
    ...(o.allTokens ? { allTokens: true } : {}),
  };
}

export function registerPruneCommands(program: Command): void {
  addCommonOptions(
    program
      .command('score')
      .description(
        'Score the importance of every block (or sublayer) with a criterion; least important first',
      )
      .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
      .requiredOption('--criterion <name>', `${Object.keys(CRITERIA).join(' | ')}`)
      .option('--out <dir>', 'write scores.json, calib.json and the paper’s CSV files here')
      .option(
        '--remove <n>',
        '--iterative: stop after this many removals (20% or N; default all candidates)',
      ),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten score stories260K.bin --criterion taylor --calib tinystories_validation_head.txt --out scores/',
    )
    .action((model: string, o: CommonOpts & { out?: string }) => {
      const criterion = parseCriterion(o.criterion)!;
      const unit = parseUnit(o.unit);
      if (o.iterative && !ITERATIVE_CRITERIA.has(criterion))
        throw new UsageError(`--iterative applies to ppl and bi (got '${criterion}')`);
      const m = openModel(model, { tokenizer: o.tokenizer });
      const L = m.weights.config.numLayers;
      let iterative: { candidates: number[]; target: number } | undefined;
      if (o.iterative) {
        const present = new Set(presentUnits(m.weights.config, unit));
        const first = intOption(o.protectFirst, '--protect-first', 0);
        const last = intOption(o.protectLast, '--protect-last', 0);
        const candidates = candidateBlocks(L, first, last).filter((b) => present.has(b));
        // Checked before calibration: an iterative run over no candidates would print an empty order.
        if (candidates.length === 0)
          throw new UsageError(
            `--iterative: ${L} blocks with --protect-first ${first} --protect-last ${last} leave no candidate ${unit} to remove; lower --protect-first or --protect-last`,
          );
        const target = o.remove ? parseRemoveTarget(o.remove, L) : candidates.length;
        if (target > candidates.length)
          throw new UsageError(
            `--remove ${o.remove} asks for ${target} of ${L} blocks but only ${candidates.length} are candidates (after --protect-first ${first} --protect-last ${last})`,
          );
        if (target === 0)
          throw new UsageError(`--remove ${o.remove} removes no block of ${L}; give at least 1`);
        iterative = { candidates, target };
      }
      const calib = calibrationFor(m, o, criterion);
      const scores = scoreUnits(m.weights, calib, {
        criterion,
        unit,
        run: o.run ? intOption(o.run, '--run', 1) : undefined,
        allTokens: o.allTokens,
        batchSize: o.batchSize ? intOption(o.batchSize, '--batch-size', 1) : undefined,
        onProgress: progress(`score ${criterion}`, Boolean(o.json)),
        iterative,
      });
      const doc = scoresDocument(model, settingsOf(o, criterion, unit, calib), scores);
      if (o.out) {
        const files = writeScoreFiles(o.out, doc, scores, calib);
        if (!o.json) process.stderr.write(`wrote ${files.join(', ')} to ${o.out}\n`);
      }
      if (o.json) process.stdout.write(JSON.stringify(doc) + '\n');
      else {
        for (const [k, i] of scores.indices.entries())
          process.stdout.write(
            `${scoresDocumentLabel(scores.criterion, unit, i, scores.run)}\t${scores.scores[k]}\n`,
          );
        process.stdout.write(`order (least important first): ${scores.order.join(' ')}\n`);
      }
    });

  addCommonOptions(
    program
      .command('prune')
      .description(
        'Remove blocks (or sublayers) chosen by a criterion or by hand, and write the shorter model',
      )
      .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
      .option('--method <m>', 'depth (remove blocks) | width (the paper’s width baseline)', 'depth')
      .option('--criterion <name>', `${Object.keys(CRITERIA).join(' | ')} (width: magnitude | wanda)`)
      .option('--remove <n>', '20% (of the blocks, rounded to nearest, halves up) or a number of blocks')
      .option('--blocks <list>', 'remove exactly these blocks, e.g. 3,5')
      .requiredOption('--out <path>', 'output HF folder or .gguf file')
      .option('--format <f>', 'hf | gguf (default: gguf when --out ends in .gguf, else hf)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten prune stories260K.bin --criterion taylor --calib tinystories_validation_head.txt --remove 1 --protect-first 1 --protect-last 1 --out short.gguf',
    )
    .action(
      async (
        model: string,
        o: CommonOpts & { method: string; blocks?: string; out: string; format?: string },
      ) => {
        const format = (o.format ?? (o.out.endsWith('.gguf') ? 'gguf' : 'hf')) as 'hf' | 'gguf';
        if (format !== 'hf' && format !== 'gguf')
          throw new UsageError(`--format must be hf or gguf (got '${o.format}')`);
        const m = openModel(model, { tokenizer: o.tokenizer });
        if (o.method === 'width') {
          if (!o.remove) throw new UsageError('--remove is required for width pruning');
          await runWidthPrune(m, {
            remove: o.remove,
            out: o.out,
            format,
            score: o.criterion ?? 'magnitude',
            calib: o.calib,
            samples: intOption(o.samples, '--samples', 1),
            seqLen: intOption(o.seqLen, '--seq-len', 2),
            seed: intOption(o.seed, '--seed', 0),
            json: Boolean(o.json),
          });
          return;
        }
        if (o.method !== 'depth') throw new UsageError(`--method must be depth or width (got '${o.method}')`);
        const unit = parseUnit(o.unit);
        const criterion = o.blocks ? undefined : parseCriterion(o.criterion);
        if (!o.blocks && !criterion) throw new UsageError('give --criterion NAME (or --blocks LIST)');
        if (o.blocks && o.criterion) throw new UsageError('--blocks and --criterion exclude each other');
        const blocks = o.blocks?.split(',').map((s) => intOption(s.trim(), '--blocks', 0));
        const opts = {
          unit,
          blocks,
          criterion,
          remove: o.remove,
          protectFirst: intOption(o.protectFirst, '--protect-first', 0),
          protectLast: intOption(o.protectLast, '--protect-last', 0),
          iterative: o.iterative,
          calib: calibrationFor(m, o, criterion),
          run: o.run ? intOption(o.run, '--run', 1) : undefined,
          allTokens: o.allTokens,
          batchSize: o.batchSize ? intOption(o.batchSize, '--batch-size', 1) : undefined,
          onProgress: progress(`score ${criterion ?? ''}`, Boolean(o.json)),
        };
        let plan;
        try {
          plan = planDepthPrune(m.weights, opts);
        } catch (err) {
          if (err instanceof RangeError) throw new UsageError(err.message);
          throw err;
        }
        const pruned = cutModel(m.weights, unit, plan.removed);
        const record = pruneRecord(model, m.weights, pruned, plan, opts);
        const where = writePrunedModel(pruned, m.tokenizer, o.out, format, record, m);
        if (o.json) process.stdout.write(JSON.stringify(record) + '\n');
        else
          process.stdout.write(
            `removed ${unit === 'block' ? 'blocks' : `${unit} of blocks`} ${plan.removed.join(', ')}; ` +
              `${record.blocks_after} blocks, ${record.parameters_before} → ${record.parameters_after} parameters; ` +
              `wrote ${o.out} and ${where}\n`,
          );
      },
    );
}

function scoresDocumentLabel(criterion: string, unit: PruneUnit, i: number, run?: number): string {
  if (criterion === 'angular') return `blocks ${i}-${i + (run ?? 1) - 1}`;
  return unit === 'block' ? `block ${i}` : `${unit} ${i}`;
}
