// What `shorten run` checks before its first stage: the settings of every stage that is going to
// run, against the model, so a setting that cannot work fails in a second, not after minutes of
// scoring. Each problem names the numbers and the flag to change; all are reported together.
// Stages already done (and not forced) are not checked: a rerun with other flags skips them.
import { sequenceStartToken } from '../text/sequence-start.js';
import { existsSync, readFileSync } from 'node:fs';
import { perplexitySegments } from '../eval/perplexity.js';
import { loadCalibration } from '../prune/calibration-source.js';
import { candidateBlocks, parseRemoveTarget } from '../prune/plan.js';
import type { StageName } from '../report/results.js';
import type { RunConfig } from './run-config.js';
import type { RunContext } from './stages/context.js';
import { zeroShotPlan } from './stages/evaluate.js';

/** Settings that cannot work with this model: bad usage (exit 2), before any stage runs. */
export class RunSettingsError extends RangeError {
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.name = 'RunSettingsError';
  }
}

function pruneProblems(c: RunConfig, blocks: number): string[] {
  let target: number;
  try {
    target = parseRemoveTarget(c.remove, blocks);
  } catch (e) {
    return [(e as Error).message];
  }
  const candidates = candidateBlocks(blocks, c['protect-first'], c['protect-last']);
  if (target === 0)
    return [
      `--remove ${c.remove} of ${blocks} blocks rounds to 0 blocks; remove a larger share or a count ≥ 1`,
    ];
  if (target > candidates.length)
    return [
      `--remove ${c.remove} asks for ${target} of ${blocks} blocks but only ${candidates.length} are candidates ` +
        `(blocks ${candidates.join(', ') || 'none'} after --protect-first ${c['protect-first']} --protect-last ${c['protect-last']}); ` +
        'lower --remove, --protect-first or --protect-last',
    ];
  return [];
}

/** Throws a RunSettingsError naming every setting of the stages in `willRun` that cannot work with the model. */
export function checkRunSettings(ctx: RunContext, willRun: ReadonlySet<StageName>): void {
  const c = ctx.config;
  const runs = (...stages: StageName[]) => stages.some((st) => willRun.has(st));
  if (!runs('score', 'prune', 'heal', 'evaluate', 'benchmark')) return;
  const m = ctx.original();
  const context = m.weights.config.maxSeqLen;
  const problems: string[] = runs('prune') ? pruneProblems(c, m.weights.config.numLayers) : [];
  if (runs('score', 'heal', 'evaluate') && c['seq-len'] > context)
    problems.push(`--seq-len ${c['seq-len']} exceeds the model's context of ${context} tokens`);
  if (runs('benchmark') && c['bench-new-tokens'] + 16 > context)
    problems.push(
      `--bench-new-tokens ${c['bench-new-tokens']} leaves no room for a prompt in the model's context of ${context}`,
    );
  if (runs('heal')) {
    if (c['heal-batch'] % Math.min(c['heal-batch'], c['heal-micro-batch']) !== 0)
      problems.push(
        `--heal-batch ${c['heal-batch']} must be a multiple of --heal-micro-batch ${c['heal-micro-batch']}`,
      );
    for (const f of c['heal-data'] ?? []) if (!existsSync(f)) problems.push(`--heal-data ${f}: no such file`);
  }
  if (runs('score') && c.calib !== 'self') {
    if (!existsSync(c.calib)) problems.push(`--calib ${c.calib}: no such file`);
    else
      try {
        loadCalibration(c.calib, m.tokenizer, {
          samples: c['calib-samples'],
          seqLen: c['seq-len'],
          seed: c.seed,
        });
      } catch (e) {
        problems.push((e as Error).message);
      }
  }
  if (runs('evaluate')) {
    const evalText = c['eval-text'];
    if (evalText && !existsSync(evalText)) problems.push(`--eval-text ${evalText}: no such file`);
    else if (evalText) {
      const tokens = m.tokenizer.encode(readFileSync(evalText, 'utf8'));
      if (perplexitySegments(tokens, c['seq-len'], 'first', sequenceStartToken(m.tokenizer).id).length === 0)
        problems.push(
          `--eval-text ${evalText}: ${tokens.length} tokens make no whole segment of --seq-len ${c['seq-len']}; give a longer text or a smaller --seq-len`,
        );
    }
    try {
      zeroShotPlan(ctx);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) throw new RunSettingsError(problems);
}
