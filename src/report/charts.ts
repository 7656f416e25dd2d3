// The report's five charts as Vega-Lite specs, rendered to SVG strings in Node (no browser, no
// canvas): compiled to Vega, run headless, serialized.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchmarkResult, EvaluateResult, HealResult, PruneResult, ScoreResult } from './results.js';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, gridColor: '#e5e7eb' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: null },
  range: { category: ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'] },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile({ ...spec, config: { ...CONFIG, ...spec.config } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The axis top for one criterion's bars: when one score dwarfs the rest (block 0's PPL score is often
 * 100× the others'), the axis stops a little above the second largest so the other bars stay
 * readable, and the clipped bar is labelled with its value. Null when nothing needs clipping.
 */
export function clipTop(scores: readonly number[]): number | null {
  const sorted = [...scores].filter(Number.isFinite).sort((a, b) => b - a);
  if (sorted.length < 3 || sorted[1] <= 0) return null;
  return sorted[0] > 3 * sorted[1] ? sorted[1] * 1.25 : null;
}

function shortNumber(x: number): string {
  return Math.abs(x) >= 1000 || Math.abs(x) < 0.01 ? x.toExponential(2) : x.toPrecision(3);
}

/** Each criterion's score per block (own scale per criterion), the removed blocks in red; outliers clipped. */
export function importanceSpec(score: ScoreResult, prune: PruneResult): TopLevelSpec {
  const removed = new Set(prune.removed);
  const candidates = new Set(prune.candidates);
  const values = score.scores.flatMap((s) => {
    const top = clipTop(s.scores);
    return s.indices.map((block, k) => {
      const clipped = top !== null && s.scores[k] > top;
      return {
        criterion: s.criterion === prune.criterion ? `${s.criterion} (chooses)` : s.criterion,
        block,
        score: s.scores[k],
        shown: clipped ? top : s.scores[k],
        label: clipped ? `${shortNumber(s.scores[k])} ↑` : '',
        status: removed.has(block) ? 'removed' : candidates.has(block) ? 'kept (candidate)' : 'protected',
      };
    });
  });
  const x = { field: 'block', type: 'ordinal' as const, title: 'block', axis: { labelAngle: 0 } };
  const y = { field: 'shown', type: 'quantitative' as const, title: 'importance' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: {
      row: {
        field: 'criterion',
        type: 'nominal',
        title: null,
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 600 },
      },
    },
    spec: {
      width: 640,
      height: 110,
      layer: [
        {
          mark: { type: 'bar', tooltip: { content: 'data' } },
          encoding: {
            x,
            y,
            color: {
              field: 'status',
              type: 'nominal',
              title: null,
              scale: {
                domain: ['removed', 'kept (candidate)', 'protected'],
                range: ['#dc2626', '#2563eb', '#9ca3af'],
              },
              legend: { orient: 'top' },
            },
          },
        },
        {
          // A clipped bar's true value, just above its cut-off top.
          mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 11, fontWeight: 600, color: '#111827' },
          encoding: { x, y, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Perplexity on the evaluation text with 0, 1, 2, … candidate blocks removed in each criterion's order. */
export function sweepSpec(evaluate: EvaluateResult, prune: PruneResult): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 640,
    height: 280,
    data: { values: evaluate.sweep.map((p) => ({ ...p, chosen: p.criterion === prune.criterion })) },
    layer: [
      {
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
            // The data's own range: a rounded-out log axis left most of the panel empty.
            scale: { type: 'log', nice: false, padding: 6 },
          },
          color: { field: 'criterion', type: 'nominal', title: 'removal order', legend: { orient: 'top' } },
          // Criteria that agree draw the same line: dashes and point shapes keep each one visible.
          strokeDash: { field: 'criterion', type: 'nominal', title: 'removal order' },
          shape: { field: 'criterion', type: 'nominal', title: 'removal order' },
        },
      },
      {
        data: { values: [{ removed: prune.target }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#6b7280' },
        encoding: { x: { field: 'removed', type: 'quantitative' } },
      },
    ],
  };
}

/** Perplexity of the original, pruned and healed models. */
export function stagesSpec(evaluate: EvaluateResult): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 360,
    height: 200,
    data: { values: evaluate.models.map((m) => ({ model: m.name, ppl: m.ppl })) },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'model', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0 } },
          y: { field: 'ppl', type: 'quantitative', title: 'perplexity' },
          color: {
            field: 'model',
            type: 'nominal',
            legend: null,
            scale: { domain: ['original', 'pruned', 'healed'], range: ['#2563eb', '#dc2626', '#16a34a'] },
          },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 11 },
        encoding: {
          x: { field: 'model', type: 'nominal', sort: null },
          y: { field: 'ppl', type: 'quantitative' },
          text: { field: 'ppl', type: 'quantitative', format: '.2f' },
        },
      },
    ],
  };
}

/**
 * Training loss per step and validation loss where measured. Distillation (KD) shows its two terms:
 * the KL to the original model it minimizes and the next-token cross-entropy, in training and on the
 * validation rows, so its curve reads beside the cross-entropy curves of LoRA and CPT.
 */
export function healLossSpec(heal: HealResult): TopLevelSpec {
  const kd = heal.method === 'kd';
  const series = kd
    ? {
        train: 'KD: KL to the original (training)',
        ce: 'KD: cross-entropy (training)',
        val: 'KD: cross-entropy (validation)',
        valKl: 'KD: KL to the original (validation)',
      }
    : { train: 'training', ce: '', val: 'validation', valKl: '' };
  const values = heal.log.flatMap((r) => [
    { step: r.step, loss: kd ? (r.kl ?? r.loss) : r.loss, series: series.train },
    ...(kd && r.ce !== undefined ? [{ step: r.step, loss: r.ce, series: series.ce }] : []),
    ...(r.val_loss !== undefined ? [{ step: r.step, loss: r.val_loss, series: series.val }] : []),
    ...(kd && r.val_kl !== undefined ? [{ step: r.step, loss: r.val_kl, series: series.valKl }] : []),
  ]);
  if (heal.firstValLoss !== null) values.unshift({ step: 0, loss: heal.firstValLoss, series: series.val });
  const domain = kd ? [series.train, series.ce, series.val, series.valKl] : [series.train, series.val];
  const range = kd ? ['#9333ea', '#2563eb', '#ea580c', '#16a34a'] : ['#2563eb', '#ea580c'];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 640,
    height: 260,
    data: { values },
    mark: { type: 'line', point: { size: 18 }, tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
      y: {
        field: 'loss',
        type: 'quantitative',
        title: kd ? 'nats per token' : 'loss (mean token cross-entropy)',
        scale: { zero: kd },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain, range },
        // Two columns of whole labels: KD's four series names are longer than Vega's 160 px default.
        legend: { orient: 'top', columns: 2, labelLimit: 400 },
      },
    },
  };
}

/** Latency and throughput against batch size, original against pruned, side by side. */
export function benchSpec(b: BenchmarkResult): TopLevelSpec {
  const values = b.bench.rows.map((r) => ({
    model: r.model,
    batch: r.batch,
    latency_ms: r.latency_s * 1000,
    throughput: r.throughput_tokens_per_s,
  }));
  const panel = (field: string, title: string) => ({
    width: 300,
    height: 220,
    mark: { type: 'line' as const, point: true, tooltip: true },
    encoding: {
      x: { field: 'batch', type: 'ordinal' as const, title: 'batch size', axis: { labelAngle: 0 } },
      y: { field, type: 'quantitative' as const, title },
      color: {
        field: 'model',
        type: 'nominal' as const,
        title: null,
        scale: { domain: ['original', 'pruned'], range: ['#2563eb', '#dc2626'] },
        legend: { orient: 'top' as const },
      },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    hconcat: [
      panel('latency_ms', `latency, ms (${b.bench.new_tokens} new tokens)`),
      panel('throughput', 'throughput, tokens/s'),
    ],
  };
}
