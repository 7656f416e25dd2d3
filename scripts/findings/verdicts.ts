// Each finding's verdicts, computed from its measurements with the rules of verdict-rules.ts: what
// the paper reports, and whether this model's numbers agree.
import type { BlockScoresFinding } from './block-scores.js';
import type { CriteriaFinding, ComparedModel } from './criteria-compare.js';
import type { DepthWidthFinding } from './depth-width.js';
import type { DistillFinding, DistillSetting } from './distillation.js';
import type { HealingFinding } from './healing.js';
import type { SweepFinding } from './perplexity-sweep.js';
import type { EvalText } from './settings.js';
import type { Verdict } from './verdict-rules.js';
import {
  averageAccuracyStdError,
  compareSeries,
  competitive,
  lowestAt,
  nonDecreasing,
} from './verdict-rules.js';

const f = (x: number, d = 2) => x.toFixed(d);
const list = (xs: readonly number[]) => (xs.length ? xs.join(', ') : 'none');

export function blockScoreVerdicts(b: BlockScoresFinding): Verdict[] {
  const out: Verdict[] = [];
  const mostImportant = b.oneShot.map((c) => ({
    label: c.label,
    block: c.doc.order[c.doc.order.length - 1],
  }));
  const firstTop = mostImportant.filter((m) => m.block === 0);
  out.push({
    claim:
      'The first block is the most important block under most criteria (why the "+" heuristic protects the first blocks)',
    holds: firstTop.length * 2 > mostImportant.length,
    detail: `most important block per criterion: ${mostImportant.map((m) => `${m.label} ${m.block}`).join('; ')}`,
  });
  for (const r of b.ratios) {
    const would = Object.entries(r.protectedWouldGo).filter(([, bl]) => bl.length > 0);
    out.push({
      claim: `At ${r.ratio}, without the "+" heuristic some criterion would remove a protected block`,
      holds: would.length > 0,
      detail: would.length
        ? would.map(([l, bl]) => `${l} would remove ${list(bl)}`).join('; ')
        : `every criterion's ${r.count} least important blocks are candidates anyway`,
    });
    const t = r.removed['Taylor+'];
    const p = r.removed['PPL'];
    if (t && p)
      out.push({
        claim: `At ${r.ratio}, Taylor+ and PPL remove different blocks`,
        holds: t.join(',') !== p.join(','),
        detail: `Taylor+ removes ${list(t)}; PPL removes ${list(p)}`,
      });
  }
  return out;
}

function series(curve: SweepFinding['curves'][number], text: string, fromK = 1): number[] {
  return curve.points.filter((p) => p.removed >= fromK).map((p) => p.ppl[text].ppl);
}

export function sweepVerdicts(s: SweepFinding, texts: readonly EvalText[]): Verdict[] {
  const out: Verdict[] = [];
  const oneShot = s.curves.filter((c) => c.mode === 'one-shot');
  const ppl = oneShot.find((c) => c.label === 'PPL');
  const counts = s.counts.filter((k) => k >= 1);
  for (const t of texts) {
    if (ppl) {
      const others = oneShot.filter((c) => c !== ppl);
      const lowest = lowestAt(
        series(ppl, t.name),
        others.map((c) => series(c, t.name)),
      );
      const n = lowest.filter(Boolean).length;
      out.push({
        claim: `${t.label}: the PPL criterion gives the lowest perplexity of the one-shot criteria at every number of removed blocks`,
        holds: n === lowest.length,
        detail: `lowest at ${n} of ${lowest.length} counts (${counts.map((k, i) => `${k}: ${lowest[i] ? 'yes' : 'no'}`).join(', ')})`,
      });
    }
    for (const it of s.curves.filter((c) => c.mode === 'iterative')) {
      const base = oneShot.find((c) => `${c.label} iterative` === it.label);
      if (!base) continue;
      const cmp = compareSeries(series(it, t.name), series(base, t.name));
      out.push({
        claim: `${t.label}: ${it.label} is never worse than one-shot ${base.label}, and better somewhere`,
        holds: cmp.above === 0 && cmp.below > 0,
        detail: `iterative lower at ${cmp.below}, equal (same blocks) at ${cmp.equal}, higher at ${cmp.above} of ${counts.length} counts`,
      });
    }
    const rising = s.curves.filter((c) => nonDecreasing(series(c, t.name, 0)));
    out.push({
      claim: `${t.label}: perplexity never falls as more blocks are removed, for every order`,
      holds: rising.length === s.curves.length,
      detail: `non-decreasing for ${rising.length} of ${s.curves.length} orders${
        rising.length < s.curves.length
          ? ` (not for ${s.curves
              .filter((c) => !rising.includes(c))
              .map((c) => c.label)
              .join(', ')})`
          : ''
      }`,
    });
  }
  return out;
}

/** Standard error (points) of a model's zero-shot average, from its per-task accuracies on the paper's metric. */
export function zeroShotStdError(m: ComparedModel, c: CriteriaFinding): number {
  return averageAccuracyStdError(
    c.chance.map((t) => {
      const score = m.zeroshot.tasks[t.task];
      return { p: score[t.metric], n: score.n };
    }),
  );
}

export function criteriaVerdicts(
  c: CriteriaFinding,
  texts: readonly EvalText[],
  ratios: readonly string[],
): Verdict[] {
  const out: Verdict[] = [];
  const at = (label: string) => c.models.find((m) => m.label === label);
  const pairs = ratios.map((r) => ({ r, t: at(`Taylor+ ${r}`)!, p: at(`PPL ${r}`)! }));
  const pplWins = pairs.flatMap(({ r, t, p }) =>
    texts.map((x) => ({
      r,
      x,
      same: p.removed.join(',') === t.removed.join(','),
      ok: p.ppl[x.name].ppl < t.ppl[x.name].ppl,
      tv: t.ppl[x.name].ppl,
      pv: p.ppl[x.name].ppl,
    })),
  );
  out.push({
    claim: 'PPL gives lower perplexity than Taylor+ at every ratio, on both texts (the paper: yes)',
    holds: pplWins.every((w) => w.ok),
    detail: pplWins
      .map(
        (w) =>
          `${w.r} ${w.x.name}: PPL ${f(w.pv)} vs Taylor+ ${f(w.tv)}${w.same ? ' (same blocks removed)' : ''}`,
      )
      .join('; '),
  });
  const zs = pairs.map(({ r, t, p }) => {
    const k = competitive(
      t.zeroshot.average,
      zeroShotStdError(t, c),
      p.zeroshot.average,
      zeroShotStdError(p, c),
    );
    return { r, t: t.zeroshot.average, p: p.zeroshot.average, ...k };
  });
  out.push({
    claim:
      "Taylor+'s zero-shot average is competitive with or better than PPL's at every ratio (the paper: yes); competitive = at most 2 standard errors of the difference below",
    holds: zs.every((z) => z.holds),
    detail: zs
      .map((z) => `${z.r}: Taylor+ ${f(z.t)} vs PPL ${f(z.p)} (2 SE = ${f(z.margin)} points)`)
      .join('; '),
  });
  const orig = at('original')!;
  const se = zeroShotStdError(orig, c);
  out.push({
    claim:
      'The unpruned model is above chance on the zero-shot average by more than 2 standard errors (else the comparison above is noise)',
    holds: orig.zeroshot.average - c.chanceAverage > 2 * se,
    detail: `original ${f(orig.zeroshot.average)} vs chance ${f(c.chanceAverage)} (2 SE = ${f(2 * se)} points)`,
  });
  return out;
}

export function healingVerdicts(h: HealingFinding, texts: readonly EvalText[]): Verdict[] {
  const out: Verdict[] = [];
  const severe = h.ratios[h.ratios.length - 1];
  const ppl = (r: HealingFinding['ratios'][number], method: string, text: string) =>
    r.methods.find((m) => m.method === method)!.ppl[text].ppl;
  for (const t of texts) {
    const best = [...severe.methods].sort((a, b) => a.ppl[t.name].ppl - b.ppl[t.name].ppl)[0];
    out.push({
      claim: `${t.label}: at the most severe ratio (${severe.ratio}), CPT heals best of the four (the paper: yes)`,
      holds: best.method === 'CPT',
      detail: severe.methods.map((m) => `${m.method} ${f(m.ppl[t.name].ppl)}`).join('; '),
    });
    if (h.ratios.length > 1) {
      const lead = h.ratios.map((r) => ({ r: r.ratio, x: ppl(r, 'LoRA', t.name) / ppl(r, 'CPT', t.name) }));
      out.push({
        claim: `${t.label}: CPT's lead over LoRA (LoRA perplexity / CPT perplexity) grows with the ratio`,
        holds: lead.every((l, i) => i === 0 || l.x > lead[i - 1].x),
        detail: lead.map((l) => `${l.r}: ×${f(l.x, 3)}`).join('; '),
      });
    }
  }
  return out;
}

export function depthWidthVerdicts(
  d: DepthWidthFinding,
  texts: readonly EvalText[],
  ratios: readonly string[],
): Verdict[] {
  const out: Verdict[] = [];
  const model = (label: string) => d.models.find((m) => m.label === label)!;
  const original = model('original');
  const matched = ratios.map((r) => {
    const dp = model(`depth ${r}`).parameters;
    const wp = model(`width ${r}`).parameters;
    return { r, dp, wp, rel: Math.abs(dp - wp) / original.parameters };
  });
  out.push({
    claim:
      'Depth- and width-pruned models have matched parameter counts (within 1% of the original) at every ratio',
    holds: matched.every((m) => m.rel <= 0.01),
    detail: matched.map((m) => `${m.r}: depth ${m.dp}, width ${m.wp} (${f(100 * m.rel)}%)`).join('; '),
  });
  const speed = (label: string, batch: number) =>
    d.bench.rows.find((r) => r.label === label && r.batch === batch)?.speedup ?? NaN;
  const minBatch = Math.min(...d.bench.rows.map((r) => r.batch));
  const small = ratios.map((r) => ({
    r,
    d: speed(`depth ${r}`, minBatch),
    w: speed(`width ${r}`, minBatch),
  }));
  out.push({
    claim: `At batch ${minBatch}, depth pruning speeds generation up more than width pruning at every ratio (the paper: yes)`,
    holds: small.every((s) => s.d > s.w),
    detail: small.map((s) => `${s.r}: depth ×${f(s.d)}, width ×${f(s.w)}`).join('; '),
  });
  const depthRows = d.bench.rows.filter((r) => r.label.startsWith('depth '));
  const slower = depthRows.filter((r) => !(r.speedup > 1));
  out.push({
    claim: 'Depth-pruned models generate faster than the original at every batch size',
    holds: slower.length === 0,
    detail: slower.length
      ? `not faster: ${slower.map((r) => `${r.label} at batch ${r.batch} (×${f(r.speedup)})`).join('; ')}`
      : `speedups from ×${f(Math.min(...depthRows.map((r) => r.speedup)))} to ×${f(Math.max(...depthRows.map((r) => r.speedup)))}`,
  });
  for (const t of texts) {
    const cmp = ratios.map((r) => ({
      r,
      d: model(`depth ${r}`).ppl[t.name].ppl,
      w: model(`width ${r}`).ppl[t.name].ppl,
    }));
    out.push({
      claim: `${t.label}: without retraining, depth pruning has lower perplexity than width pruning at every ratio`,
      holds: cmp.every((c) => c.d < c.w),
      detail: cmp.map((c) => `${c.r}: depth ${f(c.d)}, width ${f(c.w)}`).join('; '),
    });
  }
  return out;
}

/** Finding 6: Minitron's claim that distillation heals best at equal tokens, and what top-K costs. */
export function distillVerdicts(d: DistillFinding, texts: readonly EvalText[]): Verdict[] {
  const out: Verdict[] = [];
  const at = (x: DistillSetting, method: string, text: string) =>
    x.methods.find((m) => m.method === method)?.ppl[text]?.ppl ?? NaN;
  const severe = d.heldOut[d.heldOut.length - 1];
  for (const t of texts) {
    if (severe) {
      const best = [...severe.methods].sort((a, b) => a.ppl[t.name].ppl - b.ppl[t.name].ppl)[0];
      out.push({
        claim: `${t.label}: at the most severe ratio (${severe.ratio}), distillation (KD or KD (LoRA)) heals best of the ${severe.methods.length} at equal tokens (Minitron: yes)`,
        holds: best.method === 'KD' || best.method === 'KD (LoRA)',
        detail: severe.methods.map((m) => `${m.method} ${f(m.ppl[t.name].ppl)}`).join('; '),
      });
    }
    out.push({
      claim: `${t.label}: KD heals better than CPT at every ratio`,
      holds: d.heldOut.every((x) => at(x, 'KD', t.name) < at(x, 'CPT', t.name)),
      detail: d.heldOut
        .map((x) => `${x.ratio}: KD ${f(at(x, 'KD', t.name))}, CPT ${f(at(x, 'CPT', t.name))}`)
        .join('; '),
    });
    out.push({
      claim: `${t.label}: KD (LoRA) heals better than LoRA at every ratio`,
      holds: d.heldOut.every((x) => at(x, 'KD (LoRA)', t.name) < at(x, 'LoRA', t.name)),
      detail: d.heldOut
        .map(
          (x) => `${x.ratio}: KD (LoRA) ${f(at(x, 'KD (LoRA)', t.name))}, LoRA ${f(at(x, 'LoRA', t.name))}`,
        )
        .join('; '),
    });
  }
  const main = texts[0];
  for (const x of d.dataFree)
    out.push({
      claim: `${main.label}: with no data (self-samples of the original), KD heals better than CPT at ${x.ratio}`,
      holds: at(x, 'KD', main.name) < at(x, 'CPT', main.name),
      detail: `none ${f(at(x, 'none', main.name))}; CPT ${f(at(x, 'CPT', main.name))}; KD ${f(at(x, 'KD', main.name))}`,
    });
  if (d.topK) {
    const k = d.topK;
    const full = k.full.ppl[main.name].ppl;
    const top = k.cold.ppl[main.name].ppl;
    out.push({
      claim: `${main.label}: KD from the teacher's top-${k.k} (and the rest as one bucket) is within 1% of full-vocabulary KD's perplexity at ${k.ratio}`,
      holds: Math.abs(top - full) <= 0.01 * full,
      detail: `top-${k.k} ${f(top, 3)}, full ${f(full, 3)} (${f((100 * (top - full)) / full)}%)`,
    });
  }
  return out;
}
