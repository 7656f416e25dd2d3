// What `shorten run` checks before its first stage: every stage's settings against the model, so a
// setting that cannot work fails in a second, not after minutes of scoring. Each problem names the
// numbers and the flag to change; all of them are reported together.
import { existsSync, readFileSync } from 'node:fs';
import { perplexitySegments } from '../eval/perplexity.js';
import { loadCalibration } from '../prune/calibration-source.js';
import { candidateBlocks, parseRemoveTarget } from '../prune/plan.js';
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

/** Throws a RunSettingsError naming every setting of `ctx.config` that cannot work with the model. */
export function checkRunSettings(ctx: RunContext): void {
  const c = ctx.config;
  const m = ctx.original();
  const context = m.weights.config.maxSeqLen;
  const problems: string[] = pruneProblems(c, m.weights.config.numLayers);
  if (c['seq-len'] > context)
    problems.push(`--seq-len ${c['seq-len']} exceeds the model's context of ${context} tokens`);
  const promptRoom = context - c['bench-new-tokens'] - 16;
  if (promptRoom < 0)
    problems.push(
      `--bench-new-tokens ${c['bench-new-tokens']} leaves no room for a prompt in the model's context of ${context}`,
    );
  if (c['heal-batch'] % Math.min(c['heal-batch'], c['heal-micro-batch']) !== 0)
    problems.push(
      `--heal-batch ${c['heal-batch']} must be a multiple of --heal-micro-batch ${c['heal-micro-batch']}`,
    );
  for (const f of [...(c['heal-data'] ?? []), ...(c['eval-text'] ? [c['eval-text']] : [])])
    if (!existsSync(f)) problems.push(`${f}: no such file`);
  if (c.calib !== 'self') {
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
  const evalText = c['eval-text'];
  if (evalText && existsSync(evalText)) {
    const tokens = m.tokenizer.encode(readFileSync(evalText, 'utf8'));
    if (perplexitySegments(tokens, c['seq-len'], 'first', m.tokenizer.bosId).length === 0)
      problems.push(
        `--eval-text ${evalText}: ${tokens.length} tokens make no whole segment of --seq-len ${c['seq-len']}; give a longer text or a smaller --seq-len`,
      );
  }
  try {
    zeroShotPlan(ctx);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) throw new RunSettingsError(problems);
}
