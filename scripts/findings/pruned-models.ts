// The pruned models the later findings start from, written by `shorten prune` (depth, one-shot,
// "+" heuristic) and `shorten prune --method width`, each cached with the folder it wrote.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FindingsContext } from './context.js';

/** What `shorten prune --json` prints for depth pruning (the fields used here). */
export interface DepthPruneRecord {
  removed: number[];
  kept: number[];
  blocks_after: number;
  parameters_before: number;
  parameters_after: number;
}

/** What `shorten prune --method width --json` prints. */
export interface WidthPruneRecord {
  parameters_before: number;
  parameters_after: number;
  target_parameters: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  intermediate_size: number;
  blocks_worth: number;
}

export interface PrunedModel<R> {
  folder: string;
  /** The prune step's hash: names the model in later steps' keys. */
  hash: string;
  record: R;
  seconds: number;
}

const folderExists = (r: { folder: string }) => existsSync(join(r.folder, 'config.json'));

function calibrationArgs(ctx: FindingsContext): string[] {
  const s = ctx.settings;
  return [
    '--calib',
    ctx.calibFile,
    '--samples',
    String(s.calibSamples),
    '--seq-len',
    String(s.calibSeqLen),
    '--seed',
    String(s.calibSeed),
  ];
}

export async function depthPruned(
  ctx: FindingsContext,
  criterion: string,
  ratio: string,
): Promise<PrunedModel<DepthPruneRecord>> {
  const s = ctx.settings;
  const key = {
    model: ctx.model.fingerprint,
    criterion,
    ratio,
    calib: ctx.calibFile,
    samples: s.calibSamples,
    seqLen: s.calibSeqLen,
    seed: s.calibSeed,
    protect: [s.protectFirst, s.protectLast],
  };
  const r = await ctx.cache.run(
    'prune-depth',
    `prune ${criterion} ${ratio}`,
    key,
    async (out) => {
      const folder = join(out, 'model');
      const record = await ctx.shorten<DepthPruneRecord>([
        'prune',
        ctx.model.path,
        '--criterion',
        criterion,
        '--remove',
        ratio,
        '--protect-first',
        String(s.protectFirst),
        '--protect-last',
        String(s.protectLast),
        ...calibrationArgs(ctx),
        '--out',
        folder,
        '--json',
      ]);
      return { folder, record };
    },
    folderExists,
  );
  return { ...r.result, hash: r.hash, seconds: r.seconds };
}

export async function widthPruned(
  ctx: FindingsContext,
  ratio: string,
): Promise<PrunedModel<WidthPruneRecord>> {
  const s = ctx.settings;
  const key = {
    model: ctx.model.fingerprint,
    score: s.widthScore,
    ratio,
    calib: s.widthScore === 'wanda' ? ctx.calibFile : undefined,
    samples: s.calibSamples,
    seqLen: s.calibSeqLen,
    seed: s.calibSeed,
  };
  const r = await ctx.cache.run(
    'prune-width',
    `F5 width prune ${s.widthScore} ${ratio}`,
    key,
    async (out) => {
      const folder = join(out, 'model');
      const record = await ctx.shorten<WidthPruneRecord>([
        'prune',
        ctx.model.path,
        '--method',
        'width',
        '--criterion',
        s.widthScore,
        '--remove',
        ratio,
        ...calibrationArgs(ctx),
        '--out',
        folder,
        '--json',
      ]);
      return { folder, record };
    },
    folderExists,
  );
  return { ...r.result, hash: r.hash, seconds: r.seconds };
}
