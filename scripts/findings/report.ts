// docs/findings.md from the measured findings: a header (model, machine, date, settings, time), one
// section per finding with its tables, chart and verdicts, and a summary of every verdict.
import { relative } from 'node:path';
import type { BlockScoresFinding } from './block-scores.js';
import type { CriteriaFinding } from './criteria-compare.js';
import type { DepthWidthFinding } from './depth-width.js';
import type { DistillFinding, DistillSetting } from './distillation.js';
import type { HealingFinding } from './healing.js';
import type { Cell } from './markdown.js';
import { markdownTable, num, verdictList } from './markdown.js';
import type { MachineFacts, ModelFacts } from './model-facts.js';
import type { SweepFinding } from './perplexity-sweep.js';
import { formatSeconds } from './progress-log.js';
import { scaleNotes } from './scale-notes.js';
import type { ProtocolCheck } from './protocol-check.js';
import type { FindingsSettings } from './settings.js';
import { REPO_ROOT } from './shorten-cli.js';
import type { Verdict } from './verdict-rules.js';

export interface FindingsResults {
  generated: string;
  /** The script's arguments as given. */
  argv: string[];
  settings: FindingsSettings;
  model: ModelFacts;
  machine: MachineFacts;
  calibration: { file: string; stories: number };
  /** Wall time of this invocation, and the measured time of every step (cached ones included). */
  time: { thisRunSeconds: number; allStepsSeconds: number; stepsRun: number; stepsCached: number };
  protocol: ProtocolCheck[];
  blockScores: BlockScoresFinding;
  sweep: SweepFinding;
  criteria: CriteriaFinding;
  healing: HealingFinding;
  depthWidth: DepthWidthFinding;
  distill: DistillFinding;
  verdicts: Record<string, Verdict[]>;
}

/** Chart file names under docs/findings/, relative to the report. */
export interface ChartFiles {
  scores: string;
  sweep: Record<string, string>;
  zeroshot: string;
  healing: string;
  speedup: string;
  distill: string;
  lrGrid: string;
}

const rel = (p: string) => relative(REPO_ROOT, p) || '.';
const sig = (x: number) => (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(4));
const blocks = (xs: readonly number[]) => (xs.length ? xs.join(', ') : '–');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function header(r: FindingsResults): string {
  const s = r.settings;
  const c = r.model.config;
  const m = r.machine;
  const lines = [
    `# Shortened LLaMA's findings, measured on \`${rel(r.model.path)}\``,
    '',
    `Kim et al. 2024 (*Shortened LLaMA: depth pruning for large language models*) measured on our own model by` +
      ` \`npm run findings\`${s.quick ? ' **--quick**' : ''}. Every figure below comes from a run of that script` +
      ` (raw numbers: [findings.json](findings.json)).`,
    '',
  ];
  if (s.quick)
    lines.push(
      '> **Quick run**: tiny limits to check the script end to end. These numbers are not the findings.',
      '',
    );
  lines.push(
    markdownTable(
      ['', ''],
      [
        ['date', r.generated],
        ['command', `\`npm run findings${r.argv.length ? ` -- ${r.argv.join(' ')}` : ''}\``],
        [
          'model',
          `${rel(r.model.path)}: ${(r.model.parameters / 1e6).toFixed(2)} M parameters, ${c.numLayers} blocks, width ${c.hiddenSize}, ` +
            `${c.numHeads} heads (${c.numKvHeads} KV, head dim ${c.headDim}), MLP ${c.intermediateSize}, vocabulary ${c.vocabSize}, ` +
            `context ${c.maxSeqLen}${c.tieWordEmbeddings ? ', tied embeddings' : ''} (files ${r.model.fingerprint})`,
        ],
        [
          'machine',
          `${m.cores} cores (${m.cpu}), ${m.memoryGiB.toFixed(0)} GiB, ${m.os}, Node ${m.node}; load average ${m.loadAverage.toFixed(2)} at the start`,
        ],
        [
          'time',
          `${formatSeconds(r.time.thisRunSeconds)} for this invocation (${r.time.stepsRun} steps run, ${r.time.stepsCached} read from the cache); ` +
            `${formatSeconds(r.time.allStepsSeconds)} if every step had run now`,
        ],
        [
          'calibration',
          `${s.calibSamples} windows × ${s.calibSeqLen} tokens (seed ${s.calibSeed}) from ${rel(s.calibText)} (${r.calibration.stories} stories)`,
        ],
        ['"+" heuristic', `first ${s.protectFirst} and last ${s.protectLast} blocks never removed`],
        [
          'perplexity',
          `${r.settings.evalTexts.map((t) => `${t.label} (${rel(t.file)})`).join(' and ')}: the first ${r.sweep.curves[0]?.points[0]?.ppl[s.evalTexts[0].name]?.segments ?? '?'} segments of ${s.pplSeqLen} tokens ` +
            `(--ppl-tokens ${s.pplTokens}), one BOS at the start, as \`shorten eval ppl --seq-len ${s.pplSeqLen} --limit N\``,
        ],
        [
          'zero-shot',
          `7 tasks of ${rel(s.tasksDir)}, first ${s.zeroshotLimit} questions each (--zeroshot-limit), paper metric per task`,
        ],
        [
          'healing',
          `${r.healing.budget} tokens per method (--heal-tokens ${s.healTokens}); see findings 4 and 6`,
        ],
        [
          'generation benchmark',
          `batches ${s.benchBatches.join(', ')}; ${s.benchNewTokens} new tokens; interleaved rounds after ${s.benchWarmup} warm-up until each speed-up's 95% interval is within ±${s.benchPrecision}, at most ${s.benchBudget} s in all`,
        ],
      ],
    ),
    'Timings (training speed, generation latency) depend on the load of the machine while the script ran; ratios measured within one call are the figures to read.',
    '',
  );
  return lines.join('\n');
}

function scoresSection(r: FindingsResults, charts: ChartFiles): string {
  const b = r.blockScores;
  const L = b.numLayers;
  const rows: Cell[][] = Array.from({ length: L }, (_, block) => [
    block,
    ...b.oneShot.map((c) => {
      const s = c.doc.scores.find((x) => x.index === block);
      return s ? sig(s.score) : '–';
    }),
    b.candidates.includes(block) ? 'candidate' : 'protected',
  ]);
  const orderRows: Cell[][] = [...b.oneShot, ...b.iterative].map((c) => [
    c.label,
    c.iterative ? 'iterative (candidates only)' : 'one-shot',
    c.doc.order.join(' '),
  ]);
  const removalHeader = [
    'ratio',
    'p × blocks',
    'removed',
    ...Object.keys(b.ratios[0]?.removed ?? {}),
    'Angular, one run',
  ];
  const removalRows: Cell[][] = b.ratios.map((x) => [
    x.ratio,
    num(x.exact, 2),
    `${x.count} of ${L}`,
    ...Object.values(x.removed).map(blocks),
    x.angularRun ? blocks(x.angularRun.removed) : '(same as Angular)',
  ]);
  return [
    '## 1. Block importance under each criterion',
    '',
    'Each criterion scored every block on the calibration windows (`shorten score --criterion C`; angular with `--run 1`, one',
    'block per run). Higher is more important for every criterion: Taylor+ the first-order loss change |∂L/∂W·W| summed over',
    'the block, Mag+ the weight magnitude, PPL the calibration perplexity without the block, BI one minus the cosine',
    "similarity of the block's input and output (block influence), Angular the angular distance between them.",
    '',
    markdownTable(['block', ...b.oneShot.map((c) => c.label), '"+" heuristic'], rows),
    `![Block scores per criterion](${charts.scores})`,
    '',
    'Order from least to most important (the iterative orders re-score after each removal, among the candidates):',
    '',
    markdownTable(['criterion', 'how', 'order'], orderRows),
    `Blocks removed at each ratio under the "+" heuristic. \`prune --remove P%\` removes round(P/100 × blocks) blocks,`,
    `halves rounded up (\`parseRemoveTarget\`); those are the counts below. "Angular, one run" scores runs of that many`,
    'consecutive blocks (`--run N`) and removes the best run among the candidates, as Gromov et al. do; the Angular column',
    'ranks single blocks. The paper names the heuristic for Taylor and magnitude (Taylor+, Mag+); here every criterion',
    'chooses among the same candidates.',
    '',
    markdownTable(removalHeader, removalRows),
    verdictList(r.verdicts.blockScores),
  ].join('\n');
}

function sweepSection(r: FindingsResults, charts: ChartFiles): string {
  const s = r.sweep;
  const parts = [
    '## 2. Perplexity against the number of blocks removed',
    '',
    `Each order removes its first k candidate blocks, k = ${s.counts.join(', ')} (up to ${num(100 * r.settings.sweepMax, 0)}% of ${r.blockScores.numLayers} blocks, ` +
      `and at most the ${r.blockScores.candidates.length} candidates), with no retraining. One-shot orders come from one scoring of`,
    'the full model; the iterative ones (`score --iterative`) remove the least important block, re-score the rest, and repeat.',
    '',
  ];
  for (const t of r.settings.evalTexts) {
    parts.push(`### ${t.label}`, '');
    parts.push(
      markdownTable(
        ['blocks removed', ...s.curves.map((c) => c.label)],
        s.counts.map((k) => [
          k,
          ...s.curves.map((c) => num(c.points.find((p) => p.removed === k)?.ppl[t.name].ppl)),
        ]),
      ),
    );
    parts.push(`![Perplexity sweep on ${t.label}](${charts.sweep[t.name]})`, '');
  }
  parts.push(verdictList(r.verdicts.sweep));
  return parts.join('\n');
}

function criteriaSection(r: FindingsResults, charts: ChartFiles): string {
  const c = r.criteria;
  const texts = r.settings.evalTexts;
  const header = [
    'model',
    'removed',
    'parameters',
    ...texts.map((t) => `PPL ${t.name}`),
    'zero-shot avg',
    ...c.chance.map((t) => `${t.task} (${t.metric})`),
  ];
  const rows: Cell[][] = c.models.map((m) => [
    m.label,
    blocks(m.removed),
    String(m.parameters),
    ...texts.map((t) => num(m.ppl[t.name].ppl)),
    num(m.zeroshot.average),
    ...c.chance.map((t) => num(100 * m.zeroshot.tasks[t.task][t.metric], 1)),
  ]);
  rows.push([
    'chance',
    '',
    '',
    ...texts.map(() => ''),
    num(c.chanceAverage),
    ...c.chance.map((t) => num(100 * t.chance, 1)),
  ]);
  const mismatch = c.models.filter((m) => m.matchesScores === false);
  return [
    '## 3. Taylor+ against PPL',
    '',
    `The pruned models are written by \`shorten prune --criterion taylor|ppl --remove P%\`; zero-shot accuracy by`,
    `\`shorten eval zeroshot --tasks all --limit ${c.limit}\` (acc or acc_norm per task as the paper reports; chance = mean of`,
    "1/choices over the questions asked). A pruned model's perplexity is the sweep's figure for the same blocks removed",
    '(the same weights).',
    mismatch.length
      ? `\n**Mismatch**: \`prune\` removed other blocks than the scores give for ${mismatch.map((m) => m.label).join(', ')}.\n`
      : '`prune` removed exactly the blocks computed from the scores in finding 1, for all four models.\n',
    markdownTable(header, rows),
    `![Zero-shot average](${charts.zeroshot})`,
    '',
    verdictList(r.verdicts.criteria),
  ].join('\n');
}

function healingSection(r: FindingsResults, charts: ChartFiles): string {
  const h = r.healing;
  const s = r.settings;
  const texts = s.evalTexts;
  const sameData = s.loraData === s.cptText;
  const rows: Cell[][] = h.ratios.flatMap((x) =>
    x.methods.map((m) => [
      x.ratio,
      m.method,
      m.tokens,
      m.runs.map((run) => run.summary.steps).join(' + ') || '–',
      m.runs.length
        ? formatSeconds(m.runs.reduce((a, run) => a + (run.elapsedS ?? run.seconds), 0)) +
          (m.runs.some((run) => run.resumed && (run.elapsedS ?? null) === null) ? ' *' : '')
        : '–',
      m.runs.length ? num(m.runs[m.runs.length - 1].summary.last_val_loss, 3) : '–',
      ...texts.map((t) => num(m.ppl[t.name].ppl)),
    ]),
  );
  const firstRun = h.ratios[0]?.methods.find((m) => m.method === 'CPT')?.runs[0];
  return [
    '## 4. Healing: none, LoRA, CPT, CPT⇒LoRA at equal token budgets',
    '',
    `The ${h.criterion === 'ppl' ? 'PPL' : 'Taylor+'}-pruned models of finding 3 are healed with ${h.budget} training tokens each`,
    `(--heal-tokens ${h.requested} rounded to whole steps of ${h.tokensPerStep} tokens, enforced with \`--max-tokens\`; CPT⇒LoRA spends`,
    'half the steps on CPT and the rest on LoRA of the CPT result). CPT (`shorten cpt`) trains every',
    `weight on ${rel(s.cptText)}; LoRA (\`shorten lora\`, rank 8, alpha 16, all seven projections) trains adapters,`,
    'merged with `shorten merge` before measuring.',
    sameData
      ? `LoRA trains on the same TinyStories text as CPT. The paper's LoRA uses Alpaca instructions and its CPT pretraining text;` +
        ' our model has never seen instruction-formatted text, and the instruction files are small and off its domain, so' +
        ' training both on the same text makes the comparison about what is trained (low-rank adapters on frozen weights,' +
        " against every weight), which is the paper's question."
      : `LoRA trains on ${rel(s.loraData)}, as the paper's LoRA trains on Alpaca instructions; CPT on pretraining text.`,
    `Rows of ${h.seqLen} tokens, ${s.healBatch} rows per step, peak learning rate ${s.cptLr} (CPT) and ${s.loraLr} (LoRA),` +
      ` warm-up ${firstRun ? `${firstRun.settings.warmupSteps} steps` : ''} (10% of the steps), validation on 16 held-back rows of the training text.`,
    'Neither learning rate was tuned for this comparison (finding 6 tunes them, and compares distillation).',
    '',
    markdownTable(
      ['ratio', 'healing', 'tokens', 'steps', 'time', 'final val loss', ...texts.map((t) => `PPL ${t.name}`)],
      rows,
    ),
    h.ratios.some((x) =>
      x.methods.some((m) => m.runs.some((run) => run.resumed && (run.elapsedS ?? null) === null)),
    )
      ? '\\* resumed after the script was stopped: the time is that of the last part only.\n'
      : '',
    `![Perplexity after healing](${charts.healing})`,
    '',
    verdictList(r.verdicts.healing),
  ].join('\n');
}

function depthWidthSection(r: FindingsResults, charts: ChartFiles): string {
  const d = r.depthWidth;
  const texts = r.settings.evalTexts;
  const modelRows: Cell[][] = d.models.map((m) => [
    m.label,
    String(m.parameters),
    pct(m.parameters / d.models[0].parameters),
    m.blocks,
    `${m.heads} / ${m.kvHeads}`,
    m.intermediateSize,
    ...texts.map((t) => num(m.ppl[t.name].ppl)),
  ]);
  const labels = d.models.map((m) => m.label);
  const batches = [...new Set(d.bench.rows.map((x) => x.batch))].sort((a, b) => a - b);
  const cell = (
    label: string,
    batch: number,
    f: (x: DepthWidthFinding['bench']['rows'][number]) => string,
  ) => {
    const row = d.bench.rows.find((x) => x.label === label && x.batch === batch);
    return row ? f(row) : '–';
  };
  const latencyRows: Cell[][] = batches.map((b) => [
    b,
    ...labels.map((l) => cell(l, b, (x) => num(1000 * x.latencyS, 1))),
  ]);
  const throughputRows: Cell[][] = batches.map((b) => [
    b,
    ...labels.map((l) => cell(l, b, (x) => num(x.throughput, 0))),
  ]);
  const speedupRows: Cell[][] = batches.map((b) => [
    b,
    ...labels.slice(1).map((l) =>
      cell(l, b, (x) => {
        const measured = `×${num(x.speedup)}${x.low === null || x.high === null ? '' : ` (${num(x.low)}–${num(x.high)})`}`;
        return x.beyondIdeal
          ? `not a result: ${measured} exceeds the ideal ×${num(x.ideal)}`
          : `${measured}, ideal ×${num(x.ideal)}`;
      }),
    ),
  ]);
  return [
    '## 5. Depth against width at matched parameters',
    '',
    `Depth: the PPL-pruned models of finding 3. Width: \`shorten prune --method width --criterion ${d.widthScore} --remove P%\`,`,
    'which removes the same number of parameters as P% of the blocks, evenly from every block (whole KV groups from',
    'attention, channels from the MLP). Neither is retrained here (the paper compares them after LoRA).',
    '',
    markdownTable(
      [
        'model',
        'parameters',
        'of original',
        'blocks',
        'heads / KV',
        'MLP',
        ...texts.map((t) => `PPL ${t.name}`),
      ],
      modelRows,
    ),
    `Generation, all ${labels.length} models in one \`shorten bench generate\` call (${d.bench.threads} threads, ${d.bench.newTokens} new tokens per row,`,
    `medians of interleaved rounds after ${d.bench.warmup} warm-up, until each speed-up's 95% interval was within ±${d.bench.precision} or the ${d.bench.budget} s budget ran out;`,
    `${formatSeconds(d.bench.seconds)}; load average ${d.bench.loadBefore.toFixed(2)} before, ${d.bench.loadAfter.toFixed(2)} after).`,
    '',
    'Latency per batch (ms, prompt + all new tokens):',
    '',
    markdownTable(['batch', ...labels], latencyRows),
    'Throughput (new tokens/s):',
    '',
    markdownTable(['batch', ...labels], throughputRows),
    "Speedup over the original (its latency / the model's, same batch; median of rounds with its 95% interval, beside the ideal from weight bytes per token at batch 1 and FLOPs above):",
    '',
    markdownTable(['batch', ...labels.slice(1)], speedupRows),
    `![Speedup over the original](${charts.speedup})`,
    '',
    verdictList(r.verdicts.depthWidth),
  ].join('\n');
}

function gridCell(x: DistillSetting, method: string): string {
  const g = x.grids.find((y) => y.method === method);
  if (!g) return '–';
  return g.points
    .map((p) => {
      const v = p.diverged ? 'diverged' : num(p.valLoss, 3);
      return p.lr === g.chosen ? `**${p.lr}: ${v}**` : `${p.lr}: ${v}`;
    })
    .join(', ');
}

function distillTable(
  settings: readonly DistillSetting[],
  texts: FindingsResults['settings']['evalTexts'],
): string {
  const rows: Cell[][] = settings.flatMap((x) =>
    x.methods.map((m) => [
      x.ratio,
      m.method,
      m.lr.length ? m.lr.join(' + ') : '–',
      m.tokens,
      m.steps.join(' + ') || '–',
      m.steps.length ? formatSeconds(m.seconds) : '–',
      num(m.valLoss, 3),
      ...texts.map((t) => num(m.ppl[t.name].ppl)),
    ]),
  );
  return markdownTable(
    [
      'ratio',
      'healing',
      'peak lr',
      'tokens',
      'steps',
      'time',
      'final val loss',
      ...texts.map((t) => `PPL ${t.name}`),
    ],
    rows,
  );
}

function distillSection(r: FindingsResults, charts: ChartFiles): string {
  const d = r.distill;
  const s = r.settings;
  const texts = s.evalTexts;
  const gridRows = (settings: readonly DistillSetting[]): Cell[][] =>
    settings.flatMap((x) => x.grids.map((g) => [x.ratio, g.method, gridCell(x, g.method)]));
  const parts = [
    '## 6. Healing by distillation from the unpruned model',
    '',
    `Minitron (Sreenivas et al. 2024) heals a pruned student by training it on the unpruned teacher's output distribution:`,
    "logit-only forward KL at temperature 1 (`shorten distill --teacher ORIGINAL`, alpha 1, T 1). Here it runs against the paper's",
    `methods on the ${d.criterion === 'ppl' ? 'PPL' : 'Taylor+'}-pruned models of finding 3, every method with ${d.budget} training tokens`,
    `(finding 4's budget: ${d.budget / d.tokensPerStep} steps of ${d.tokensPerStep / d.seqLen} rows × ${d.seqLen} tokens; CPT⇒LoRA half each). KD trains every weight, as CPT does;`,
    'KD (LoRA) trains rank-8 adapters on all seven projections, as LoRA does (`distill --lora`), merged before measuring.',
    '',
    `**Learning rates were tuned first**: each method ran at ${d.grid.map((g) => `${g}×`).join(', ')} its starting rate` +
      (d.extend > 0
        ? `, and up to ${d.extend} more doublings (or halvings) while the best rate was at an end of the grid`
        : '') +
      '; the rate with the lowest final validation loss (next-token cross-entropy on 16 rows held back from the training text,' +
      ' never the test texts) is the one compared. CPT⇒LoRA uses the rates tuned for CPT and for LoRA. The time is the training' +
      " time by the run's own log (validation included), on the machine of the run; it moves with whatever else ran there" +
      ' (a step cached from another run keeps its own time), so only times measured side by side compare.',
    '',
    '### Held-out text',
    '',
    `Every method trains on ${rel(s.cptText)} (the student sees the same text in every method; KD's teacher sees it too).`,
    '',
    distillTable(d.heldOut, texts),
    'Learning-rate grids (peak rate: final validation loss; the chosen one in bold):',
    '',
    markdownTable(['ratio', 'method', 'grid'], gridRows(d.heldOut)),
  ];
  if (d.selfSamples && d.dataFree.length > 0) {
    const ss = d.selfSamples;
    parts.push(
      '### Data-free: healing on text sampled from the original',
      '',
      `With no text at all, the original model writes its own: ${ss.sequences} sequences of ${ss.seqLen} tokens sampled after BOS at` +
        ` temperature 1 (seed ${ss.seed}, ${formatSeconds(ss.seconds)}), as \`shorten run --calib self\` samples them, decoded to text, one` +
        ' document each. CPT trains on that text; KD distills from the original on it (`shorten run --heal kd` does the same).' +
        ` Judged on ${texts[0].label}, which neither saw.`,
      '',
      distillTable(d.dataFree, texts),
      markdownTable(['ratio', 'method', 'grid'], gridRows(d.dataFree)),
    );
  }
  parts.push(`![Perplexity after healing, distillation included](${charts.distill})`, '');
  parts.push(`![Learning-rate grids](${charts.lrGrid})`, '');
  if (d.topK) {
    const k = d.topK;
    const main = texts[0].name;
    parts.push(
      `### The teacher's top-${k.k}, cached on disk`,
      '',
      `\`distill --top-k ${k.k}\` keeps, per position, the teacher's ${k.k} most likely tokens (log-probabilities at T) and the mass of` +
        ` all others as one bucket; the student's distribution is folded onto the same ${k.k} + 1 outcomes and the KL runs over them.` +
        " Those are written to a cache folder the first time a row is seen and read back afterwards (Minitron's offline variant):" +
        ` a second run (another learning rate, another student, a resumed run) needs no teacher at all. At ${k.ratio}, KD's tuned rate ${k.lr}:`,
      '',
      markdownTable(
        ['teacher', 'time', 'final val loss', ...texts.map((t) => `PPL ${t.name}`)],
        [
          [
            'full vocabulary, on the fly',
            formatSeconds(k.full.seconds),
            num(k.full.valLoss, 3),
            ...texts.map((t) => num(k.full.ppl[t.name].ppl, 3)),
          ],
          [
            `top-${k.k}, empty cache (filled as it runs)`,
            formatSeconds(k.cold.seconds),
            num(k.cold.valLoss, 3),
            ...texts.map((t) => num(k.cold.ppl[t.name].ppl, 3)),
          ],
          [
            `top-${k.k}, cache already filled`,
            formatSeconds(k.warm.seconds),
            num(k.warm.valLoss, 3),
            ...texts.map((t) => num(k.warm.ppl[t.name].ppl, 3)),
          ],
        ],
      ),
      `${k.warmSameLoss ? "The run on the filled cache repeats the first run's losses exactly." : "The run on the filled cache did not repeat the first run's final loss exactly."}` +
        ` Agreement of the objective: on the first ${k.kl.segments} held-out ${texts[0].label} segments, the full-KD student's KL from the teacher` +
        ` is ${num(k.kl.full, 4)} over the full vocabulary and ${num(k.kl.topK, 4)} over top-${k.k} + rest (${num((100 * k.kl.topK) / k.kl.full, 1)}%; folding` +
        ` outcomes together can only lower a KL). Perplexity: top-${k.k} ${num(k.cold.ppl[main].ppl, 3)} against full ${num(k.full.ppl[main].ppl, 3)}.`,
      '',
    );
  }
  parts.push(verdictList(r.verdicts.distill));
  return parts.join('\n');
}

function summarySection(r: FindingsResults): string {
  const names: Record<string, string> = {
    blockScores: '1. block importance',
    sweep: '2. perplexity sweep',
    criteria: '3. Taylor+ vs PPL',
    healing: '4. healing',
    depthWidth: '5. depth vs width',
    distill: '6. distillation',
  };
  const rows: Cell[][] = Object.entries(r.verdicts).flatMap(([k, vs]) =>
    vs.map((v) => [names[k] ?? k, v.claim, v.holds ? 'yes' : 'no']),
  );
  const check = r.protocol
    .map((p) => `${p.text}: CLI ${num(p.cli, 4)}, in-process ${num(p.inProcess, 4)}`)
    .join('; ');
  return [
    '## Summary of the verdicts',
    '',
    'Each line is decided by the rule in its wording, from the numbers above; "the paper: yes" marks what the paper reports, "Minitron: yes" what Minitron reports.',
    '',
    markdownTable(['finding', 'claim', 'holds here'], rows),
    `Check of the perplexity protocol: \`shorten eval ppl\` on the original against this script's in-process measurement — ${check}.`,
    '',
  ].join('\n');
}

export function findingsMarkdown(r: FindingsResults, charts: ChartFiles): string {
  return [
    header(r),
    scaleNotes(r),
    scoresSection(r, charts),
    sweepSection(r, charts),
    criteriaSection(r, charts),
    healingSection(r, charts),
    depthWidthSection(r, charts),
    distillSection(r, charts),
    summarySection(r),
  ].join('\n');
}
