// The results each stage of `shorten run` leaves in DIR/<stage>/result.json: the shapes the report
// is built from, so `shorten report DIR` needs nothing but the folder.
import type { GenerateBenchResult } from '../bench/generate.js';
import type { ZeroShotResult } from '../eval/zeroshot.js';
import type { StepRecord } from '../heal/train-loop.js';
import type { UnitScores } from '../prune/units.js';

export const STAGES = ['score', 'prune', 'heal', 'evaluate', 'benchmark', 'report'] as const;
export type StageName = (typeof STAGES)[number];

/** Where a run's text came from: sampled from the model itself, or a file. */
export interface TextSource {
  kind: 'self' | 'file';
  /** The file(s), or a description of the self-samples. */
  source: string;
  sequences?: number;
  seqLen?: number;
  seed?: number;
  /** What each sequence starts with: BOS, EOS standing in for a missing BOS, or nothing. */
  start?: string;
}

export interface StageTiming {
  seconds: number;
}

export interface ScoreResult extends StageTiming {
  model: string;
  blocks: number;
  parameters: number;
  calibration: TextSource;
  /** The criterion that chooses the blocks first, then the ones scored for comparison. */
  scores: UnitScores[];
  selfSamples: { calib: number; eval: number; heal: number; seqLen: number; seed: number } | null;
}

export interface PruneResult extends StageTiming {
  criterion: string;
  remove: string;
  target: number;
  candidates: number[];
  removed: number[];
  kept: number[];
  blocksBefore: number;
  blocksAfter: number;
  parametersBefore: number;
  parametersAfter: number;
  /** The pruned HF folder, relative to DIR. */
  model: string;
}

export interface HealResult extends StageTiming {
  method: 'lora' | 'cpt' | 'kd' | 'none';
  data: TextSource | null;
  steps: number;
  tokens: number;
  settings: Record<string, unknown>;
  log: StepRecord[];
  firstValLoss: number | null;
  lastValLoss: number | null;
  /** The healed HF folder relative to DIR (null when healing was off). */
  model: string | null;
}

export interface PerplexityPoint {
  criterion: string;
  removed: number;
  blocks: number[];
  ppl: number;
}

export interface ModelMeasure {
  name: 'original' | 'pruned' | 'healed';
  parameters: number;
  blocks: number;
  ppl: number;
  nll: number;
  tokens: number;
  zeroshot: ZeroShotResult | null;
}

export interface EvaluateResult extends StageTiming {
  evalText: TextSource;
  segments: number;
  seqLen: number;
  models: ModelMeasure[];
  sweep: PerplexityPoint[];
  zeroshot: {
    ran: boolean;
    reason: string | null;
    dataDir: string | null;
    limit: number;
    tasks: string[];
    /** What went before each context (--zeroshot-bos); absent in results written before it was recorded. */
    bos?: string;
  };
}

export interface BenchmarkResult extends StageTiming {
  bench: GenerateBenchResult;
  prompt: string;
}

export interface ReportStageResult extends StageTiming {
  files: string[];
}
