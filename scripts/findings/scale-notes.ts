// The report's opening section in plain words: which of the paper's findings reproduce on this model,
// which do not, and the measured facts of this scale that explain a miss (zero-shot at chance, an
// out-of-domain text, near-equal blocks, a small healing budget). Every sentence is computed from
// the run's numbers; none is written for a particular outcome.
import type { FindingsResults } from './report.js';
import type { Verdict } from './verdict-rules.js';
import { zeroShotStdError } from './verdicts.js';

const f = (x: number, d = 2) => x.toFixed(d);
const PAPER = '(the paper: yes)';

function tally(vs: readonly Verdict[]): string {
  const held = vs.filter((v) => v.holds).length;
  return `${held} of ${vs.length}`;
}

/** Bullets: one per finding, then the facts of this scale a reader needs to weigh them. */
export function scaleNotes(r: FindingsResults): string {
  const v = r.verdicts;
  const all = Object.values(v).flat();
  const paper = all.filter((x) => x.claim.includes(PAPER));
  const texts = r.settings.evalTexts;
  const main = texts[0];
  const lines: string[] = [
    '## In plain words',
    '',
    `${tally(all)} checks hold on this model; of the ${paper.length} that the paper itself reports, ${tally(paper)} hold. ` +
      'Finding by finding, with what this scale does to each:',
    '',
  ];

  // 1. Block importance.
  lines.push(
    `- **Block importance** (${tally(v.blockScores)} hold): ${
      v.blockScores[0]?.holds
        ? 'the first block matters far more than any other under most criteria, and the "+" heuristic changes what would be removed, as in the paper.'
        : 'the first block is not the most important under most criteria here, unlike the paper.'
    }`,
  );

  // 2. Sweep: how close are the candidate blocks?
  const ppl = r.blockScores.oneShot.find((c) => c.criterion === 'ppl');
  if (ppl) {
    const cand = ppl.doc.scores.filter((s) => r.blockScores.candidates.includes(s.index)).map((s) => s.score);
    const lo = Math.min(...cand);
    const hi = Math.max(...cand);
    const base = ppl.doc.baseline_ppl;
    lines.push(
      `- **Perplexity against blocks removed** (${tally(v.sweep)} hold): the candidate blocks are nearly interchangeable ` +
        `on this model: without any one of them the calibration perplexity is ${f(lo)} to ${f(hi)}` +
        (base !== undefined ? ` (${f(base)} with all blocks)` : '') +
        ', so the criteria often pick the same blocks, their curves coincide, and where they differ the gaps are small. ' +
        'A claim that one order is lowest at *every* count fails on any one of these near-ties.',
    );
  }

  // 3. Taylor+ against PPL, and whether zero-shot can say anything.
  const c = r.criteria;
  const orig = c.models.find((m) => m.label === 'original');
  if (orig) {
    const se = zeroShotStdError(orig, c);
    const atChance = orig.zeroshot.average - c.chanceAverage <= 2 * se;
    const pruned = c.models.filter((m) => m !== orig).map((m) => m.zeroshot.average);
    lines.push(
      `- **Taylor+ against PPL** (${tally(v.criteria)} hold): ` +
        (atChance
          ? `zero-shot accuracy does not reproduce at this scale and cannot: the unpruned model scores ${f(orig.zeroshot.average)} ` +
            `against a chance level of ${f(c.chanceAverage)} (2 standard errors: ${f(2 * se)} points). The seven tasks ask for ` +
            "knowledge and reasoning a model trained on children's stories never saw; the pruned models average " +
            `${f(Math.min(...pruned))} to ${f(Math.max(...pruned))}` +
            (Math.max(...pruned) - c.chanceAverage <= 2 * se
              ? ', none above chance either, so "Taylor+ is competitive on zero-shot" holds only in the empty sense that all are at chance. '
              : ', and a pruned model above chance while the original is not is itself a sign of noise. ')
          : `the unpruned model is above chance on zero-shot (${f(orig.zeroshot.average)} against ${f(c.chanceAverage)}), so the zero-shot comparison means something. `) +
        `On perplexity, PPL ${v.criteria[0]?.holds ? 'beats' : 'does not always beat'} Taylor+ (${v.criteria[0]?.detail ?? 'no figures'}).`,
    );
  }

  // 4. Healing: the budget against what the model was trained on.
  const h = r.healing;
  const trained = r.model.trainedTokens;
  const severe = h.ratios[h.ratios.length - 1];
  const at = (m: string) => severe?.methods.find((x) => x.method === m)?.ppl[main.name]?.ppl;
  const cpt = at('CPT');
  const lora = at('LoRA');
  const leadLine =
    cpt !== undefined && lora !== undefined
      ? `At ${severe.ratio}, CPT's perplexity is ${f((100 * Math.abs(lora - cpt)) / lora, 1)}% ${cpt <= lora ? 'below' : 'above'} LoRA's (${f(cpt)} against ${f(lora)}).`
      : '';
  lines.push(
    `- **Healing** (${tally(v.healing)} hold): each method had ${h.budget.toLocaleString('en-US')} tokens` +
      (trained
        ? `, ${f((100 * h.budget) / trained, 1)}% of the ${trained.toLocaleString('en-US')} tokens the model was pretrained on`
        : '') +
      `. On ${main.label}, ${v.healing[0]?.holds ? 'CPT heals best at the most severe ratio, as in the paper' : 'CPT does not heal best at the most severe ratio, unlike the paper'}. ` +
      (leadLine ? `${leadLine} ` : '') +
      "The paper's CPT used far more tokens than this.",
  );

  // 5. Depth against width.
  const batch1 = v.depthWidth.find((x) => x.claim.startsWith('At batch'));
  const original = r.depthWidth.models.find((m) => m.method === 'original');
  const fewerHeads = r.depthWidth.models.filter(
    (m) => m.method === 'width' && original && m.heads < original.heads,
  );
  lines.push(
    `- **Depth against width** (${tally(v.depthWidth)} hold): ` +
      (batch1
        ? batch1.holds
          ? `at batch 1 depth pruning speeds generation up more than width pruning at matched parameters, as in the paper (${batch1.detail}). `
          : `at batch 1 depth pruning is not ahead of width pruning at every ratio (${batch1.detail}), unlike the paper. `
        : '') +
      fewerHeads
        .map(
          (m) =>
            `Width pruning at ${m.ratio} also removed attention heads (${original!.heads}/${original!.kvHeads} → ${m.heads}/${m.kvHeads}), which depth pruning never does. `,
        )
        .join('') +
      'Timings move with the load of the shared machine; the speedup table gives every batch size.',
  );

  // 6. Distillation.
  const d = r.distill;
  const dSevere = d?.heldOut[d.heldOut.length - 1];
  if (d && dSevere && v.distill) {
    const p = (x: (typeof d.heldOut)[number], m: string) =>
      x.methods.find((y) => y.method === m)?.ppl[main.name]?.ppl;
    const kd = p(dSevere, 'KD');
    const cptKd = p(dSevere, 'CPT');
    const best = [...dSevere.methods].sort((a, b) => a.ppl[main.name].ppl - b.ppl[main.name].ppl)[0];
    const free = d.dataFree[d.dataFree.length - 1];
    const seconds = (x: (typeof d.heldOut)[number], m: string) =>
      x.methods.find((y) => y.method === m)?.seconds;
    const tKd = seconds(dSevere, 'KD');
    const tCpt = seconds(dSevere, 'CPT');
    lines.push(
      `- **Distillation** (${tally(v.distill)} hold): with every learning rate tuned, at ${dSevere.ratio} on ${main.label} the best of the ` +
        `${dSevere.methods.length} methods is ${best.method} (${f(best.ppl[main.name].ppl)})` +
        (kd !== undefined && cptKd !== undefined
          ? `; KD's perplexity is ${f((100 * Math.abs(cptKd - kd)) / cptKd, 1)}% ${kd <= cptKd ? 'below' : 'above'} CPT's (${f(kd)} against ${f(cptKd)})`
          : '') +
        (tKd && tCpt
          ? `, for ×${f(tKd / tCpt)} CPT's training time (the teacher's forward pass on every step)`
          : '') +
        '. ' +
        (free
          ? `With no data, on text the original wrote itself, KD reaches ${f(p(free, 'KD') ?? NaN)} and CPT ${f(p(free, 'CPT') ?? NaN)} at ${free.ratio} (unhealed ${f(p(free, 'none') ?? NaN)}).`
          : ''),
    );
  }

  // Out-of-domain texts.
  const o = orig?.ppl;
  if (o && texts.length > 1) {
    for (const t of texts.slice(1)) {
      const ratio = o[t.name].ppl / o[main.name].ppl;
      if (ratio > 5)
        lines.push(
          `- **${t.label} is out of domain** for this model (perplexity ${f(o[t.name].ppl)} against ${f(o[main.name].ppl)} on ${main.label}, ` +
            `×${f(ratio, 0)}): removing blocks moves its perplexity by a few percent either way (see finding 2), so its verdicts ` +
            `are weak evidence. ${main.label} is the text to read.`,
        );
    }
  }
  lines.push('');
  return lines.join('\n');
}
