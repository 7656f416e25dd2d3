// Finding 1: every block's score under each criterion (`shorten score`), the iterative orders of
// ppl and bi, and which blocks each criterion removes at the report's ratios under the "+" heuristic.
import { parseRemoveTarget } from '../../src/prune/plan.js';
import type { FindingsContext } from './context.js';
import { bestCandidateRun, firstCandidates, plusCandidates } from './removal.js';

/** What `shorten score --json` prints. */
export interface ScoreDocument {
  criterion: string;
  unit: string;
  scores: { index: number; label: string; score: number }[];
  order: number[];
  run?: number;
  steps?: { removed: number; indices: number[]; scores: number[] }[];
  calibration_loss?: number;
  baseline_ppl?: number;
}

export interface CriterionRun {
  /** taylor | magnitude | ppl | bi | angular */
  criterion: string;
  /** How the report names it: Taylor+, PPL, … */
  label: string;
  iterative: boolean;
  doc: ScoreDocument;
  seconds: number;
}

export interface RatioRemoval {
  ratio: string;
  /** ratio × blocks before rounding. */
  exact: number;
  /** Blocks removed, as `prune --remove RATIO` rounds (halves up). */
  count: number;
  /** Removed blocks per criterion label (one-shot and iterative, under the + heuristic). */
  removed: Record<string, number[]>;
  /** Angular distance scored over runs of `count` blocks (Gromov et al.'s use), when count > 1. */
  angularRun: { removed: number[]; doc: ScoreDocument } | null;
  /** Per one-shot criterion: the protected blocks among its `count` least important, were nothing protected. */
  protectedWouldGo: Record<string, number[]>;
}

export interface BlockScoresFinding {
  numLayers: number;
  candidates: number[];
  oneShot: CriterionRun[];
  iterative: CriterionRun[];
  ratios: RatioRemoval[];
}

export const CRITERIA: { criterion: string; label: string }[] = [
  { criterion: 'taylor', label: 'Taylor+' },
  { criterion: 'magnitude', label: 'Mag+' },
  { criterion: 'ppl', label: 'PPL' },
  { criterion: 'bi', label: 'BI' },
  { criterion: 'angular', label: 'Angular' },
];
export const ITERATIVE = ['ppl', 'bi'];

export function iterativeLabel(criterion: string): string {
  return `${CRITERIA.find((c) => c.criterion === criterion)?.label ?? criterion} iterative`;
}

async function scoreRun(
  ctx: FindingsContext,
  criterion: string,
  opts: { iterative?: boolean; run?: number },
): Promise<{ doc: ScoreDocument; seconds: number }> {
  const s = ctx.settings;
  const key = {
    model: ctx.model.fingerprint,
    criterion,
    iterative: Boolean(opts.iterative),
    run: opts.run,
    calib: ctx.calibFile,
    samples: s.calibSamples,
    seqLen: s.calibSeqLen,
    seed: s.calibSeed,
    protect: opts.iterative ? [s.protectFirst, s.protectLast] : undefined,
  };
  const args = [
    'score',
    ctx.model.path,
    '--criterion',
    criterion,
    '--calib',
    ctx.calibFile,
    '--samples',
    String(s.calibSamples),
    '--seq-len',
    String(s.calibSeqLen),
    '--seed',
    String(s.calibSeed),
    ...(opts.run !== undefined ? ['--run', String(opts.run)] : []),
    ...(opts.iterative
      ? ['--iterative', '--protect-first', String(s.protectFirst), '--protect-last', String(s.protectLast)]
      : []),
    '--json',
  ];
  const what = `${criterion}${opts.iterative ? ' iterative' : ''}${opts.run !== undefined ? ` run ${opts.run}` : ''}`;
  const r = await ctx.cache.run('score', `F1 score ${what}`, key, () => ctx.shorten<ScoreDocument>(args));
  return { doc: r.result, seconds: r.seconds };
}

export async function measureBlockScores(ctx: FindingsContext): Promise<BlockScoresFinding> {
  const s = ctx.settings;
  const L = ctx.model.config.numLayers;
  const candidates = plusCandidates(L, s.protectFirst, s.protectLast);
  const oneShot: CriterionRun[] = [];
  for (const c of CRITERIA) {
    const r = await scoreRun(ctx, c.criterion, { run: c.criterion === 'angular' ? 1 : undefined });
    oneShot.push({ ...c, iterative: false, ...r });
  }
  const iterative: CriterionRun[] = [];
  for (const criterion of ITERATIVE) {
    const r = await scoreRun(ctx, criterion, { iterative: true });
    iterative.push({ criterion, label: iterativeLabel(criterion), iterative: true, ...r });
  }
  const ratios: RatioRemoval[] = [];
  for (const ratio of s.ratios) {
    const count = parseRemoveTarget(ratio, L);
    const exact = (Number(ratio.replace('%', '')) / 100) * L;
    if (count > candidates.length)
      throw new Error(
        `--ratios ${ratio}: ${count} blocks, but only ${candidates.length} candidates under the + heuristic`,
      );
    const removed: Record<string, number[]> = {};
    const protectedWouldGo: Record<string, number[]> = {};
    for (const r of [...oneShot, ...iterative]) {
      removed[r.label] = firstCandidates(r.doc.order, candidates, count);
      if (!r.iterative) {
        const unprotected = r.doc.order.slice(0, count);
        protectedWouldGo[r.label] = unprotected.filter((b) => !candidates.includes(b)).sort((a, b) => a - b);
      }
    }
    let angularRun: RatioRemoval['angularRun'] = null;
    if (count > 1) {
      const run = await scoreRun(ctx, 'angular', { run: count });
      angularRun = { removed: bestCandidateRun(run.doc.order, candidates, count), doc: run.doc };
    }
    ratios.push({ ratio, exact, count, removed, angularRun, protectedWouldGo });
  }
  return { numLayers: L, candidates, oneShot, iterative, ratios };
}
