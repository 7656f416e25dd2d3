// Finding 2: perplexity on each evaluation text with 0, 1, 2, … blocks removed (up to --sweep-max of
// the blocks), in each criterion's one-shot order and in the iterative orders of ppl and bi, always
// among the "+" candidates. Removal sets shared by several orders are measured once (cache).
import type { BlockScoresFinding } from './block-scores.js';
import type { FindingsContext, PerplexityByText } from './context.js';
import { firstCandidates, sweepCounts } from './removal.js';

export interface SweepPoint {
  removed: number;
  blocks: number[];
  ppl: PerplexityByText;
}

export interface SweepCurve {
  label: string;
  mode: 'one-shot' | 'iterative';
  points: SweepPoint[];
}

export interface SweepFinding {
  maxRemoved: number;
  counts: number[];
  curves: SweepCurve[];
}

export async function measureSweep(ctx: FindingsContext, scores: BlockScoresFinding): Promise<SweepFinding> {
  const s = ctx.settings;
  const L = scores.numLayers;
  const maxRemoved = Math.min(scores.candidates.length, Math.floor(s.sweepMax * L + 1e-9));
  const counts = sweepCounts(maxRemoved, s.sweepRatiosOnly ? scores.ratios.map((r) => r.count) : undefined);
  const curves: SweepCurve[] = [];
  for (const run of [...scores.oneShot, ...scores.iterative]) {
    const points: SweepPoint[] = [];
    for (const k of counts) {
      const blocks = firstCandidates(run.doc.order, scores.candidates, k);
      const ppl = await ctx.pplWithout(
        blocks,
        `F2 perplexity without [${blocks.join(',')}] (${run.label}, ${k} removed)`,
      );
      points.push({ removed: k, blocks, ppl });
    }
    curves.push({ label: run.label, mode: run.iterative ? 'iterative' : 'one-shot', points });
  }
  return { maxRemoved, counts, curves };
}
