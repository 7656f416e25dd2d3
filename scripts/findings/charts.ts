// The findings' charts as Vega-Lite specs (rendered to SVG by src/report/charts.ts renderSvg):
// per-criterion block scores, the perplexity sweep per text, zero-shot averages, healing, speedup,
// distillation against the other healing methods and their learning-rate grids.
import type { TopLevelSpec } from 'vega-lite';
import type { BlockScoresFinding } from './block-scores.js';
import type { CriteriaFinding } from './criteria-compare.js';
import type { DepthWidthFinding } from './depth-width.js';
import type { DistillFinding, DistillSetting } from './distillation.js';
import { DISTILL_METHODS } from './distillation.js';
import type { HealingFinding } from './healing.js';
import type { SweepFinding } from './perplexity-sweep.js';
import type { EvalText } from './settings.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** A log-axis domain a little wider than the data (vega's nice domain would jump to powers of ten). */
function logDomain(xs: readonly number[]): [number, number] {
  const finite = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (finite.length === 0) return [1, 10];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = Math.max(Math.log(hi / lo) * 0.05, 0.01);
  return [lo * Math.exp(-pad), hi * Math.exp(pad)];
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4b5563'];

/** The y range of a panel: a score far above all others (block 0, typically) is clipped and labelled. */
function panelRange(scores: readonly number[]): { lo: number; hi: number; cap: number | null } {
  const sorted = [...scores].sort((a, b) => b - a);
  const min = sorted[sorted.length - 1];
  const outlier = sorted.length > 2 && sorted[0] - min > 3 * (sorted[1] - min);
  const top = outlier ? sorted[1] : sorted[0];
  const pad = (top - min) * 0.12 || Math.abs(top) * 0.05 || 1;
  return { lo: min - pad, hi: top + (outlier ? 2 : 1) * pad, cap: outlier ? top + 1.5 * pad : null };
}

/** One small panel per criterion: score per block (own scale), colored by what the "+" choice does with it. */
export function blockScoresSpec(b: BlockScoresFinding): TopLevelSpec {
  const [first, second] = b.ratios;
  const statusOf = (label: string, block: number): string => {
    if (!b.candidates.includes(block)) return 'protected';
    if (first?.removed[label]?.includes(block)) return `removed at ${first.ratio}`;
    if (second?.removed[label]?.includes(block)) return `removed at ${second.ratio} too`;
    return 'kept candidate';
  };
  const domain = [
    'protected',
    'kept candidate',
    ...(first ? [`removed at ${first.ratio}`] : []),
    ...(second ? [`removed at ${second.ratio} too`] : []),
  ];
  const panels = b.oneShot.map((c) => {
    const range = panelRange(c.doc.scores.map((s) => s.score));
    const values = c.doc.scores.map((s) => ({
      block: s.index,
      score: s.score,
      shown: range.cap !== null && s.score > range.cap ? range.cap : s.score,
      clipped: range.cap !== null && s.score > range.cap ? `↑ ${s.score.toPrecision(3)}` : '',
      status: statusOf(c.label, s.index),
    }));
    const x = { field: 'block', type: 'ordinal' as const, title: 'block', axis: { labelAngle: 0 } };
    const y = {
      field: 'shown',
      type: 'quantitative' as const,
      title: null,
      scale: { domain: [range.lo, range.hi], zero: false, nice: false },
    };
    return {
      title: { text: c.label, fontSize: 12 },
      width: 150,
      height: 120,
      data: { values },
      layer: [
        { mark: { type: 'line' as const, color: '#d1d5db' }, encoding: { x, y } },
        {
          mark: { type: 'point' as const, filled: true, size: 55, tooltip: true },
          encoding: {
            x,
            y,
            color: {
              field: 'status',
              type: 'nominal' as const,
              title: null,
              scale: { domain, range: ['#9ca3af', '#2563eb', '#dc2626', '#f59e0b'] },
              legend: { orient: 'top' as const },
            },
          },
        },
        {
          mark: { type: 'text' as const, dy: -9, fontSize: 9, align: 'left' as const, dx: 4 },
          encoding: { x, y, text: { field: 'clipped', type: 'nominal' as const } },
        },
      ],
    };
  });
  return {
    $schema: SCHEMA,
    title: 'Block importance per criterion (higher = more important; own scale per panel)',
    concat: panels,
    columns: 5,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Perplexity (log scale) against blocks removed, one line per order; iterative orders dashed. */
export function sweepSpec(s: SweepFinding, text: EvalText): TopLevelSpec {
  const values = s.curves.flatMap((c) =>
    c.points.map((p) => ({
      order: c.label,
      mode: c.mode,
      removed: p.removed,
      ppl: p.ppl[text.name].ppl,
      blocks: p.blocks.join(','),
    })),
  );
  return {
    $schema: SCHEMA,
    title: `Perplexity on ${text.label} against blocks removed`,
    width: 560,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: {
        field: 'removed',
        type: 'quantitative',
        title: 'blocks removed',
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: {
        field: 'ppl',
        type: 'quantitative',
        title: 'perplexity (log scale)',
        scale: { type: 'log', domain: logDomain(values.map((v) => v.ppl)), nice: false },
      },
      color: {
        field: 'order',
        type: 'nominal',
        title: 'order',
        scale: { range: PALETTE },
        sort: s.curves.map((c) => c.label),
      },
      strokeDash: {
        field: 'mode',
        type: 'nominal',
        title: null,
        scale: {
          domain: ['one-shot', 'iterative'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
      },
      shape: { field: 'order', type: 'nominal', title: 'order', sort: s.curves.map((c) => c.label) },
    },
  };
}

/** Zero-shot average per model, with the chance level as a rule. */
export function zeroShotSpec(c: CriteriaFinding): TopLevelSpec {
  const values = c.models.map((m) => ({ model: m.label, average: m.zeroshot.average }));
  return {
    $schema: SCHEMA,
    title: `Zero-shot average over 7 tasks (first ${c.limit} questions each)`,
    width: 420,
    height: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'model', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0 } },
          y: { field: 'average', type: 'quantitative', title: 'average accuracy, %', scale: { zero: false } },
          color: { field: 'model', type: 'nominal', legend: null, scale: { range: PALETTE } },
        },
      },
      {
        data: { values: [{ chance: c.chanceAverage }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#111827' },
        encoding: { y: { field: 'chance', type: 'quantitative' } },
      },
      {
        data: { values: [{ chance: c.chanceAverage, text: `chance ${c.chanceAverage.toFixed(1)}` }] },
        mark: { type: 'text', align: 'right', dy: -6, x: 'width', fontSize: 10, color: '#111827' },
        encoding: { y: { field: 'chance', type: 'quantitative' }, text: { field: 'text', type: 'nominal' } },
      },
    ],
  };
}

/** Perplexity after each healing method, one line per ratio, one panel per text (own scale). */
export function healingSpec(h: HealingFinding, texts: readonly EvalText[]): TopLevelSpec {
  const methods = ['none', 'LoRA', 'CPT', 'CPT⇒LoRA'];
  const panels = texts.map((t) => {
    const values = h.ratios.flatMap((r) =>
      r.methods.map((m) => ({ ratio: `${r.ratio} pruned`, method: m.method, ppl: m.ppl[t.name].ppl })),
    );
    return {
      title: { text: t.label, fontSize: 12 },
      width: 260,
      height: 220,
      data: { values },
      mark: { type: 'line' as const, point: { filled: true, size: 60 }, tooltip: true },
      encoding: {
        x: {
          field: 'method',
          type: 'nominal' as const,
          sort: methods,
          title: 'healing',
          axis: { labelAngle: 0 },
        },
        y: {
          field: 'ppl',
          type: 'quantitative' as const,
          title: 'perplexity (log scale)',
          scale: { type: 'log' as const, domain: logDomain(values.map((v) => v.ppl)), nice: false },
        },
        color: {
          field: 'ratio',
          type: 'nominal' as const,
          title: null,
          scale: { range: ['#2563eb', '#dc2626', '#16a34a', '#9333ea'] },
          legend: { orient: 'top' as const },
        },
      },
    };
  });
  return {
    $schema: SCHEMA,
    title: `Perplexity after healing with ${h.budget} tokens`,
    hconcat: panels,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Generation speedup over the original against batch size, one line per pruned model. */
export function speedupSpec(d: DepthWidthFinding): TopLevelSpec {
  const values = d.bench.rows
    .filter((r) => r.label !== 'original')
    .map((r) => ({ model: r.label, method: r.label.split(' ')[0], batch: r.batch, speedup: r.speedup }));
  const labels = d.models.filter((m) => m.method !== 'original').map((m) => m.label);
  const blues = ['#1d4ed8', '#60a5fa', '#1e3a8a', '#93c5fd'];
  const reds = ['#b91c1c', '#f87171', '#7f1d1d', '#fca5a5'];
  const depth = labels.filter((l) => l.startsWith('depth'));
  const width = labels.filter((l) => !l.startsWith('depth'));
  const colors = labels.map((l) =>
    l.startsWith('depth') ? blues[depth.indexOf(l) % 4] : reds[width.indexOf(l) % 4],
  );
  return {
    $schema: SCHEMA,
    title: `Generation speedup over the original (${d.bench.newTokens} new tokens, median of interleaved rounds)`,
    width: 480,
    height: 260,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: { field: 'batch', type: 'ordinal', title: 'batch size', axis: { labelAngle: 0 } },
          y: {
            field: 'speedup',
            type: 'quantitative',
            title: 'latency of original / latency of model',
            scale: { zero: false },
          },
          color: {
            field: 'model',
            type: 'nominal',
            title: null,
            scale: { domain: labels, range: colors },
            legend: { orient: 'top' },
          },
          strokeDash: {
            field: 'method',
            type: 'nominal',
            title: null,
            scale: {
              domain: ['depth', 'width'],
              range: [
                [1, 0],
                [6, 3],
              ],
            },
            legend: null,
          },
        },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', strokeDash: [2, 2], color: '#6b7280' },
        encoding: { y: { field: 'one', type: 'quantitative' } },
      },
    ],
  };
}

/** Finding 6: perplexity after each healing method at equal tokens, one panel per text, a line per setting. */
export function distillSpec(d: DistillFinding, texts: readonly EvalText[]): TopLevelSpec {
  const settings = [...d.heldOut, ...d.dataFree];
  const label = (x: DistillSetting) => `${x.ratio} pruned${x.setting === 'data-free' ? ', no data' : ''}`;
  const panels = texts.map((t) => {
    const values = settings.flatMap((x) =>
      x.methods.map((m) => ({ setting: label(x), method: m.method, ppl: m.ppl[t.name].ppl })),
    );
    return {
      title: { text: t.label, fontSize: 12 },
      width: 300,
      height: 220,
      data: { values },
      mark: { type: 'line' as const, point: { filled: true, size: 60 }, tooltip: true },
      encoding: {
        x: {
          field: 'method',
          type: 'nominal' as const,
          sort: DISTILL_METHODS,
          title: 'healing',
          axis: { labelAngle: -30 },
        },
        y: {
          field: 'ppl',
          type: 'quantitative' as const,
          title: 'perplexity (log scale)',
          scale: { type: 'log' as const, domain: logDomain(values.map((v) => v.ppl)), nice: false },
        },
        color: {
          field: 'setting',
          type: 'nominal' as const,
          title: null,
          scale: { range: PALETTE },
          legend: { orient: 'top' as const },
        },
      },
    };
  });
  return {
    $schema: SCHEMA,
    title: `Perplexity after healing with ${d.budget} tokens, learning rates tuned`,
    hconcat: panels,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Finding 6: final validation loss against the learning rate, one panel per setting, a line per method. */
export function lrGridSpec(d: DistillFinding): TopLevelSpec {
  const settings = [...d.heldOut, ...d.dataFree];
  const values = settings.flatMap((x) =>
    x.grids.flatMap((g) =>
      g.points
        .filter((p) => p.valLoss !== null)
        .map((p) => ({
          setting: `${x.ratio}${x.setting === 'data-free' ? ', no data' : ''}`,
          method: g.method,
          lr: p.lr,
          loss: p.valLoss,
          chosen: p.lr === g.chosen ? 'chosen' : 'tried',
        })),
    ),
  );
  return {
    $schema: SCHEMA,
    title: 'Learning-rate grids: final validation loss (diverged runs left out)',
    data: { values },
    facet: { column: { field: 'setting', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          mark: { type: 'line', point: false },
          encoding: {
            x: { field: 'lr', type: 'quantitative', scale: { type: 'log' }, title: 'peak learning rate' },
            y: { field: 'loss', type: 'quantitative', scale: { zero: false }, title: 'validation loss' },
            color: { field: 'method', type: 'nominal', sort: DISTILL_METHODS, scale: { range: PALETTE } },
          },
        },
        {
          mark: { type: 'point', filled: true, tooltip: true },
          encoding: {
            x: { field: 'lr', type: 'quantitative', scale: { type: 'log' } },
            y: { field: 'loss', type: 'quantitative', scale: { zero: false } },
            color: { field: 'method', type: 'nominal', sort: DISTILL_METHODS },
            size: {
              field: 'chosen',
              type: 'nominal',
              scale: { domain: ['tried', 'chosen'], range: [25, 110] },
              title: null,
            },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
