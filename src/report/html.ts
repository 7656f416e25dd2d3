// The report page: one self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched)
// with a header, a one-paragraph summary, the tables and the five charts.
import { TASKS } from '../eval/tasks/definitions.js';
import type { GenerateSpeedup } from '../bench/generate.js';
import { speedupText } from '../bench/generate-format.js';
import { formatRatio } from '../bench/paired-ratio.js';
import type { RunResults } from './summary.js';
import { speedup } from './summary.js';

export interface ReportCharts {
  importance: string;
  sweep: string;
  stages: string;
  healLoss: string;
  bench: string;
}

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

/** The batch-1 speed-up as a sentence: the interval and the ideal, or why it is no result. */
function speedupSentence(s: GenerateSpeedup | null): string {
  if (!s) return 'Generation speed was not measured under the timing rule.';
  if (s.beyond_ideal)
    return (
      `At batch size 1 the measured speed-up, ${esc(formatRatio({ median: s.speedup, low: s.low, high: s.high, rounds: s.rounds }, 3))}, is <b>no result</b>: ` +
      `removing these blocks allows at most ${num(s.ideal, 3)}× (the ${s.ideal_basis} read per token); the machine was ` +
      'disturbed while it measured. Rerun <code>shorten run --force benchmark</code> on a quiet machine.'
    );
  const interval =
    s.low === null
      ? ` (${s.rounds} rounds, too few for an interval)`
      : ` (95% interval ${num(s.low)}–${num(s.high)})`;
  return (
    `At batch size 1 the pruned model generates <b>${num(s.speedup)}×</b>${interval} as fast as the original; ` +
    `the ${s.ideal_basis} it reads per token allow at most ${num(s.ideal)}×.`
  );
}

/** The headline figure: `1.19× (1.15–1.23)`, or a flag. */
function speedupKpi(s: GenerateSpeedup | null): string {
  if (!s) return '<b>–</b><span>generation speed-up, batch 1</span>';
  if (s.beyond_ideal)
    return `<b>no result</b><span>batch-1 speed-up: ${num(s.speedup)}× measured, above the ideal ${num(s.ideal)}×</span>`;
  const interval = s.low === null ? '' : ` <small>(${num(s.low)}–${num(s.high)})</small>`;
  return `<b>${num(s.speedup)}×${interval}</b><span>generation speed-up, batch 1 (ideal ${num(s.ideal)}×)</span>`;
}

/** The method as the paper writes it. */
function healName(method: string): string {
  return ({ lora: 'LoRA', cpt: 'CPT', kd: 'KD' } as Record<string, string>)[method] ?? method;
}

function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}K`;
}

const CSS = `
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--accent:#2563eb;--warn:#92400e;--warnbg:#fffbeb}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:980px;margin:0 auto;padding:40px 32px 64px}
h1{font-size:28px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:19px;margin:44px 0 8px;padding-top:8px;border-top:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 20px;word-break:break-all}
.summary{font-size:16px;max-width:78ch}
.note{background:var(--warnbg);color:var(--warn);border-left:3px solid #f59e0b;padding:8px 12px;margin:12px 0;max-width:78ch}
.caption{color:var(--muted);font-size:13.5px;margin:4px 0 12px;max-width:78ch}
table{border-collapse:collapse;margin:12px 0;font-variant-numeric:tabular-nums}
th,td{padding:5px 12px;border-bottom:1px solid var(--line);text-align:right}
th:first-child,td:first-child{text-align:left}
th{font-weight:600;color:#374151;border-bottom:2px solid #d1d5db}
dl.settings{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:13.5px;margin:12px 0}
dl.settings dt{color:var(--muted)}dl.settings dd{margin:0;word-break:break-all}
figure{margin:16px 0}figure svg{max-width:100%;height:auto}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:20px 0}
.kpi{border:1px solid var(--line);border-radius:8px;padding:10px 14px;flex:1 1 0;min-width:170px}
.kpi.warn{border-color:#f59e0b;background:var(--warnbg)}.kpi small{font-size:13px;font-weight:500;color:var(--muted)}
.flag{color:var(--warn)}.muted{color:var(--muted)}
.kpi b{display:block;font-size:19px;white-space:nowrap;font-variant-numeric:tabular-nums}.kpi span{color:var(--muted);font-size:13px}
footer{margin-top:48px;color:var(--muted);font-size:13px}
`;

function summaryParagraph(r: RunResults): string {
  const o = r.evaluate.models.find((m) => m.name === 'original');
  const p = r.evaluate.models.find((m) => m.name === 'pruned');
  const h = r.evaluate.models.find((m) => m.name === 'healed');
  const s1 = speedup(r.benchmark, 1);
  const pct = (1 - r.prune.parametersAfter / r.prune.parametersBefore) * 100;
  return (
    `Removing ${r.prune.removed.length} of ${r.prune.blocksBefore} blocks (${r.prune.removed.join(', ')}) chosen by ` +
    `<b>${esc(r.prune.criterion)}</b> took the model from ${millions(r.prune.parametersBefore)} to ` +
    `${millions(r.prune.parametersAfter)} parameters (${pct.toFixed(1)}% fewer). Perplexity went from ` +
    `<b>${num(o?.ppl)}</b> to <b>${num(p?.ppl)}</b> after pruning` +
    (h
      ? ` and <b>${num(h.ppl)}</b> after ${r.heal.steps} steps of ${esc(healName(r.heal.method))} healing`
      : ' (no healing)') +
    `. ${speedupSentence(s1)}`
  );
}

/** The settings that shape the results, in one line under the title. */
function settingsLine(r: RunResults): string {
  const s = r.settings;
  const calib =
    r.score.calibration.kind === 'self'
      ? `self-samples (${r.score.calibration.sequences}×${r.score.calibration.seqLen})`
      : `${r.score.calibration.source} (${r.score.calibration.sequences}×${r.score.calibration.seqLen})`;
  const parts = [
    `criterion <b>${esc(r.prune.criterion)}</b>`,
    `remove ${esc(r.prune.remove)} (${r.prune.target} blocks)`,
    `protect first ${esc(s['protect-first'] ?? '?')} / last ${esc(s['protect-last'] ?? '?')}`,
    r.heal.method === 'none' ? 'no healing' : `heal ${esc(r.heal.method)} ${r.heal.steps} steps`,
    `calibration ${esc(calib)}`,
    `seed ${esc(s.seed ?? '?')}`,
  ];
  return `<p class="sub">${parts.join(' · ')}</p>`;
}

function settingsList(r: RunResults): string {
  const rows = Object.entries(r.settings)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(Array.isArray(v) ? v.join(', ') : v)}</dd>`);
  return `<dl class="settings">${rows.join('')}</dl>`;
}

function textNotes(r: RunResults): string {
  const notes: string[] = [];
  if (r.score.calibration.kind === 'self')
    notes.push(
      `Calibration ran on the model's own samples (<code>--calib self</code>: ${r.score.calibration.sequences} sequences of ${r.score.calibration.seqLen} tokens, temperature 1, seed ${r.score.calibration.seed}), not on real text. Pass <code>--calib FILE</code> to score on real text.`,
    );
  if (r.evaluate.evalText.kind === 'self')
    notes.push(
      `Perplexity is measured on ${r.evaluate.segments} further sequences sampled from the original model, not on held-out real text. Such text is what the original model finds likely, so these perplexities are optimistic (lower than on real text), most of all for the original model. Pass <code>--eval-text FILE</code> for real held-out text.`,
    );
  if (r.heal.data?.kind === 'self')
    notes.push(
      r.heal.method === 'kd'
        ? "Healing distilled the original model's next-token distributions into the pruned one on text the original sampled itself: no data was used. Pass <code>--heal-data FILE</code> to distill on real text."
        : 'Healing trained on text sampled from the original model (a form of self-distillation), not on real text. Pass <code>--heal-data FILE</code> to heal on real text.',
    );
  return notes.map((n) => `<p class="note">${n}</p>`).join('\n');
}

function modelsTable(r: RunResults): string {
  const rows = r.evaluate.models.map(
    (m) =>
      `<tr><td>${m.name}</td><td>${m.blocks}</td><td>${m.parameters.toLocaleString('en-US')}</td><td>${num(m.ppl, 3)}</td><td>${m.zeroshot ? num(m.zeroshot.average) : '–'}</td></tr>`,
  );
  return `<table><thead><tr><th>model</th><th>blocks</th><th>parameters</th><th>perplexity</th><th>zero-shot avg</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function zeroShotTable(r: RunResults): string {
  const z = r.evaluate.zeroshot;
  if (!z.ran) return `<p class="note">Zero-shot tasks were skipped: ${esc(z.reason)}.</p>`;
  const tasks = TASKS.filter((t) => z.tasks.includes(t.name));
  const head = tasks.map((t) => `<th>${t.name}<br><small>${t.metric}</small></th>`).join('');
  const rows = r.evaluate.models.map((m) => {
    const cells = tasks.map((t) => {
      const s = m.zeroshot?.tasks[t.name];
      return `<td>${s ? num(s[t.metric] * 100, 1) : '–'}</td>`;
    });
    return `<tr><td>${m.name}</td>${cells.join('')}<td><b>${num(m.zeroshot?.average, 1)}</b></td></tr>`;
  });
  return (
    `<table><thead><tr><th>model</th>${head}<th>average</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="caption">Accuracy × 100 on the first ${z.limit} questions of each task (lm-evaluation-harness protocol; the metric the paper reports per task).${z.bos ? ` BOS ${esc(z.bos)}.` : ''}</p>`
  );
}

function benchTable(r: RunResults): string {
  const batches = [...new Set(r.benchmark.bench.rows.map((x) => x.batch))];
  const row = (model: string, b: number) =>
    r.benchmark.bench.rows.find((x) => x.model === model && x.batch === b);
  const rows = batches.map((b) => {
    const o = row('original', b);
    const p = row('pruned', b);
    const s = speedup(r.benchmark, b);
    // Bold only where the interval met the precision; a budget-bound figure reads as tentative.
    const measured = !s
      ? '–'
      : s.beyond_ideal
        ? `<span class="flag">${esc(speedupText(s))}</span>`
        : s.stopped_by === 'precise'
          ? `<b>${esc(speedupText(s))}</b>`
          : `${esc(speedupText(s))} <small class="muted" title="the budget ran out before the interval was within the precision">imprecise</small>`;
    return `<tr><td>${b}</td><td>${num(o && o.latency_s * 1000, 1)}</td><td>${num(p && p.latency_s * 1000, 1)}</td><td>${num(o?.throughput_tokens_per_s, 0)}</td><td>${num(p?.throughput_tokens_per_s, 0)}</td><td>${p?.runs ?? '–'}</td><td>${measured}</td><td>${s ? `${num(s.ideal)}×` : '–'}</td></tr>`;
  });
  return `<table><thead><tr><th>batch</th><th>original ms</th><th>pruned ms</th><th>original tok/s</th><th>pruned tok/s</th><th>rounds</th><th>speed-up (95% interval)</th><th>ideal</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function figure(id: string, svg: string, caption: string): string {
  return `<figure id="chart-${id}">${svg}<figcaption class="caption">${caption}</figcaption></figure>`;
}

export function reportHtml(r: RunResults, charts: ReportCharts): string {
  const o = r.evaluate.models.find((m) => m.name === 'original');
  const p = r.evaluate.models.find((m) => m.name === 'pruned');
  const h = r.evaluate.models.find((m) => m.name === 'healed');
  const s1 = speedup(r.benchmark, 1);
  const healNote =
    r.heal.method === 'none'
      ? '<p class="note">Healing was off (<code>--heal none</code>).</p>'
      : `<p class="caption">${esc(healName(r.heal.method))} for ${r.heal.steps} steps (${r.heal.tokens.toLocaleString('en-US')} tokens), ${esc(
          Object.entries(r.heal.settings)
            .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('/') : String(v)}`)
            .join(', '),
        )}; data: ${esc(r.heal.data?.source ?? '')}.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shorten report: ${esc(r.score.model)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>Shortened model report</h1>
<p class="sub">${esc(r.score.model)}</p>
${settingsLine(r)}
<div class="kpis">
<div class="kpi"><b>${r.prune.blocksBefore} → ${r.prune.blocksAfter}</b><span>blocks</span></div>
<div class="kpi"><b>${millions(r.prune.parametersBefore)} → ${millions(r.prune.parametersAfter)}</b><span>parameters</span></div>
<div class="kpi"><b>${num(o?.ppl)} → ${num(p?.ppl)}${h ? ` → ${num(h.ppl)}` : ''}</b><span>perplexity: original → pruned${h ? ' → healed' : ''}</span></div>
<div class="kpi${s1?.beyond_ideal ? ' warn' : ''}">${speedupKpi(s1)}</div>
</div>
<p class="summary">${summaryParagraph(r)}</p>
${textNotes(r)}
<details><summary>All settings</summary>${settingsList(r)}</details>
</header>

<h2>Block importance</h2>
${figure('importance', charts.importance, `Importance of each block under each criterion (higher is more important; each criterion on its own scale). Red: removed (the ${r.prune.target} least important candidates by <b>${esc(r.prune.criterion)}</b>); grey: protected first/last blocks. A bar far above the others is cut off and labelled with its value (↑), so the rest stay readable. Calibration: ${esc(r.score.calibration.source)}.`)}

<h2>Perplexity against blocks removed</h2>
${figure('sweep', charts.sweep, `Perplexity with the first 0, 1, 2, … candidate blocks removed in each criterion's order (no healing). The dashed line marks the ${r.prune.target} blocks this run removed.`)}

<h2>Before and after</h2>
${modelsTable(r)}
${figure('stages', charts.stages, `Perplexity on ${r.evaluate.segments} segments of ${r.evaluate.seqLen} tokens: ${esc(r.evaluate.evalText.source)}.`)}
<h3>Zero-shot accuracy</h3>
${zeroShotTable(r)}

<h2>Healing</h2>
${healNote}
${figure(
  'heal-loss',
  charts.healLoss,
  r.heal.method === 'kd'
    ? 'KD: the KL from the original model it minimizes (alpha 1, T 1) and the next-token cross-entropy, per optimizer step and on held-out rows of the healing text (validation).'
    : 'Training loss per optimizer step and validation loss (held-out rows of the healing text).',
)}

<h2>Generation speed</h2>
${benchTable(r)}
${figure('bench', charts.bench, `Medians of interleaved timed rounds after warm-up, each batch size until the speed-up's 95% interval (order statistics over the rounds) was within ±${num((r.benchmark.bench.precision ?? 0) * 100, 0)}% or its share of the ${num(r.benchmark.bench.budget_s, 0)} s budget ran out (<code>--bench-budget</code>); ${r.benchmark.bench.new_tokens} new tokens per row, greedy, prompt “${esc(r.benchmark.prompt)}”, ${r.benchmark.bench.threads} threads. Ideal: the ratio of weight bytes read per token at batch 1, of FLOPs per token above it. The healed model has the pruned model's shape and speed.`)}

<footer>Made by <code>shorten run</code>; rebuild with <code>shorten report DIR</code>. Figures: summary.json; tables: tables/*.csv.</footer>
</main>
</body>
</html>
`;
}
