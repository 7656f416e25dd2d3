// The settings of one findings run, from the command line: every flag has a full-run default and,
// where it matters for time, a --quick default; a flag given explicitly wins over both.
import { Command } from 'commander';

export interface EvalText {
  /** Short name used in tables and keys. */
  name: string;
  label: string;
  file: string;
}

export interface FindingsSettings {
  model: string;
  work: string;
  docs: string;
  quick: boolean;
  calibText: string;
  calibSamples: number;
  calibSeqLen: number;
  calibSeed: number;
  protectFirst: number;
  protectLast: number;
  /** Pruning ratios of findings 1, 3, 4 and 5, as `prune --remove` takes them ('20%'). */
  ratios: string[];
  /** Largest share of the blocks removed in the perplexity sweep. */
  sweepMax: number;
  /** Sweep only 0 and the ratios' block counts (the --quick shape). */
  sweepRatiosOnly: boolean;
  evalTexts: EvalText[];
  pplTokens: number;
  pplSeqLen: number;
  tasksDir: string;
  zeroshotLimit: number;
  healCriterion: 'ppl' | 'taylor';
  healTokens: number;
  cptText: string;
  loraData: string;
  cptLr: number;
  loraLr: number;
  /** Finding 6: the centre of the distillation grids (full-parameter and LoRA). */
  kdLr: number;
  kdLoraLr: number;
  /** Finding 6: multiples of each method's rate tried before comparing. */
  lrGrid: number[];
  /** Finding 6: further doublings (or halvings) while the best rate is at an end of the grid. */
  lrGridExtend: number;
  /** Finding 6: K of the top-K teacher measured against the full vocabulary. */
  kdTopK: number;
  /** Finding 6: ratios of the data-free setting (self-samples); default the most severe. */
  dataFreeRatios: string[];
  healBatch: number;
  healMicroBatch: number;
  widthScore: 'magnitude' | 'wanda';
  benchBatches: number[];
  /** The timing rule: seconds for all timed rounds, and the precision that ends a batch size early. */
  benchBudget: number;
  benchPrecision: string;
  benchWarmup: number;
  benchNewTokens: number;
}

const SHARED = '../shared';
const TINYSTORIES = `${SHARED}/corpus/tinystories`;

/** Defaults that --quick replaces (a flag given on the command line still wins). */
const QUICK: Record<string, string> = {
  pplTokens: '8192',
  zeroshotLimit: '20',
  healTokens: '20000',
  lrGrid: '1',
  lrGridExtend: '0',
  benchBudget: '30',
  benchWarmup: '0',
  benchNewTokens: '16',
};

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer (got '${v}')`);
  return n;
}

function positiveNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`${flag}: expected a positive number (got '${v}')`);
  return n;
}

function percent(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  const p = m ? Number(m[1]) : NaN;
  if (!(p > 0 && p < 100))
    throw new Error(`${flag}: expected a percentage in (0, 100), e.g. 50% (got '${v}')`);
  return p / 100;
}

export function parseSettings(argv: string[]): FindingsSettings {
  const program = new Command('findings')
    .description("Measure the paper's five findings and distillation on a model and write docs/findings.md")
    .option('--model <path>', 'HF folder of the model to study', 'models/default')
    .option('--work <dir>', 'cache of every step (JSON) and of the models it writes', '.tmp/findings')
    .option('--docs <dir>', 'where findings.md, findings.json and findings/*.svg go', 'docs')
    .option('--quick', 'tiny limits, to check the script end to end in minutes')
    .option('--calib-text <file>', 'TinyStories text for calibration', `${TINYSTORIES}/ts_czhou578_val.txt`)
    .option('--calib-samples <n>', 'calibration windows', '10')
    .option('--calib-seq-len <n>', 'tokens per calibration window', '128')
    .option('--calib-seed <n>', 'calibration sampling seed', '1234')
    .option('--protect-first <n>', 'the + heuristic: first blocks never removed', '4')
    .option('--protect-last <n>', 'the + heuristic: last blocks never removed', '2')
    .option('--ratios <list>', 'pruning ratios of findings 1, 3, 4, 5', '20%,35%')
    .option('--sweep-max <p>', 'perplexity sweep: up to this share of the blocks', '50%')
    .option(
      '--tinystories <file>',
      'held-out TinyStories text for perplexity',
      `${SHARED}/fixtures/text/tinystories_validation_head.txt`,
    )
    .option(
      '--wikitext <file>',
      'WikiText-2 test text for perplexity',
      `${SHARED}/fixtures/text/wiki.test.raw`,
    )
    .option('--ppl-tokens <n>', 'perplexity: at most this many tokens per dataset', '32768')
    .option('--ppl-seq-len <n>', 'perplexity: tokens per segment', '128')
    .option('--tasks-dir <dir>', 'zero-shot task files', `${SHARED}/fixtures/tasks`)
    .option('--zeroshot-limit <n>', 'zero-shot: first N questions of each task', '200')
    .option('--heal-criterion <c>', 'which pruned models are healed: ppl | taylor', 'ppl')
    .option('--heal-tokens <n>', 'healing: training tokens per method (CPT⇒LoRA: half each)', '1000000')
    .option(
      '--cpt-text <file>',
      'CPT text (TinyStories, not the held-out file)',
      `${TINYSTORIES}/ts_jasonyao3_train_part1.txt`,
    )
    .option('--lora-data <file>', 'LoRA data: plain text, or Alpaca JSON (default: the CPT text)')
    .option('--cpt-lr <x>', 'CPT peak learning rate', '5e-4')
    .option('--lora-lr <x>', 'LoRA peak learning rate', '1e-3')
    .option('--kd-lr <x>', 'finding 6: centre of the distillation learning-rate grid', '5e-4')
    .option('--kd-lora-lr <x>', 'finding 6: centre of the LoRA distillation learning-rate grid', '1e-3')
    .option('--lr-grid <list>', "finding 6: multiples of each method's learning rate tried", '0.5,1,2')
    .option(
      '--lr-grid-extend <n>',
      'finding 6: extra doublings while the best rate is at an end of the grid',
      '2',
    )
    .option('--kd-top-k <k>', 'finding 6: K of the top-K teacher compared with the full vocabulary', '64')
    .option(
      '--data-free-ratios <list>',
      'finding 6: ratios healed on self-samples (default: the most severe)',
    )
    .option('--heal-batch <n>', 'healing: rows per optimizer step', '16')
    .option('--heal-micro-batch <n>', 'healing: rows per forward pass', '16')
    .option('--width-score <s>', 'width pruning score: magnitude | wanda', 'wanda')
    .option('--bench-batches <list>', 'generation benchmark batch sizes', '1,8,16,32,64')
    .option(
      '--bench-budget <seconds>',
      'generation benchmark: timed rounds stop after this long in all (or when precise enough)',
      '600',
    )
    .option(
      '--bench-precision <p>',
      "generation benchmark: a batch size stops once every speed-up's 95% interval is within ±p",
      '5%',
    )
    .option('--bench-warmup <n>', 'generation benchmark: untimed runs first', '2')
    .option('--bench-new-tokens <n>', 'generation benchmark: tokens generated per row', '64')
    .addHelpText(
      'after',
      '\nExample:\n  nice -n 10 npm run findings -- --quick --docs .tmp/findings-quick-docs',
    );
  program.parse(argv, { from: 'user' });
  const o = program.opts<Record<string, string | boolean | undefined>>();
  const quick = Boolean(o.quick);
  const value = (name: string): string => {
    if (quick && name in QUICK && program.getOptionValueSource(name) !== 'cli') return QUICK[name];
    return String(o[name]);
  };
  const healCriterion = value('healCriterion');
  if (healCriterion !== 'ppl' && healCriterion !== 'taylor')
    throw new Error(`--heal-criterion: expected ppl or taylor (got '${healCriterion}')`);
  const widthScore = value('widthScore');
  if (widthScore !== 'magnitude' && widthScore !== 'wanda')
    throw new Error(`--width-score: expected magnitude or wanda (got '${widthScore}')`);
  const ratios = value('ratios')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  ratios.forEach((r) => percent(r, '--ratios'));
  const cptText = value('cptText');
  return {
    model: value('model'),
    work: value('work'),
    docs: value('docs'),
    quick,
    calibText: value('calibText'),
    calibSamples: positiveInt(value('calibSamples'), '--calib-samples'),
    calibSeqLen: positiveInt(value('calibSeqLen'), '--calib-seq-len'),
    calibSeed: Number(value('calibSeed')),
    protectFirst: Number(value('protectFirst')),
    protectLast: Number(value('protectLast')),
    ratios,
    sweepMax: percent(value('sweepMax'), '--sweep-max'),
    sweepRatiosOnly: quick,
    evalTexts: [
      { name: 'tinystories', label: 'TinyStories (held out)', file: value('tinystories') },
      { name: 'wikitext2', label: 'WikiText-2', file: value('wikitext') },
    ],
    pplTokens: positiveInt(value('pplTokens'), '--ppl-tokens'),
    pplSeqLen: positiveInt(value('pplSeqLen'), '--ppl-seq-len'),
    tasksDir: value('tasksDir'),
    zeroshotLimit: positiveInt(value('zeroshotLimit'), '--zeroshot-limit'),
    healCriterion,
    healTokens: positiveInt(value('healTokens'), '--heal-tokens'),
    cptText,
    loraData: o.loraData === undefined ? cptText : String(o.loraData),
    cptLr: positiveNumber(value('cptLr'), '--cpt-lr'),
    loraLr: positiveNumber(value('loraLr'), '--lora-lr'),
    kdLr: positiveNumber(value('kdLr'), '--kd-lr'),
    kdLoraLr: positiveNumber(value('kdLoraLr'), '--kd-lora-lr'),
    lrGrid: value('lrGrid')
      .split(',')
      .map((x) => positiveNumber(x.trim(), '--lr-grid')),
    lrGridExtend: Number(value('lrGridExtend')),
    kdTopK: positiveInt(value('kdTopK'), '--kd-top-k'),
    dataFreeRatios:
      o.dataFreeRatios === undefined
        ? ratios.slice(-1)
        : String(o.dataFreeRatios)
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
    healBatch: positiveInt(value('healBatch'), '--heal-batch'),
    healMicroBatch: positiveInt(value('healMicroBatch'), '--heal-micro-batch'),
    widthScore,
    benchBatches: value('benchBatches')
      .split(',')
      .map((b) => positiveInt(b.trim(), '--bench-batches')),
    benchBudget: positiveNumber(value('benchBudget'), '--bench-budget'),
    benchPrecision: value('benchPrecision'),
    benchWarmup: Number(value('benchWarmup')),
    benchNewTokens: positiveInt(value('benchNewTokens'), '--bench-new-tokens'),
  };
}
