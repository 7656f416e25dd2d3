// What every finding's measurement needs: the settings, the step cache, the loaded original model
// and its facts, the perplexity meter, and the CLI runner with the shared progress log.
import type { ModelWeights } from '../../src/model/weights.js';
import { openModel } from '../../src/pipeline/open-model.js';
import { removeBlocks } from '../../src/prune/cut.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import type { ModelFacts } from './model-facts.js';
import type { PerplexityFigure, PerplexityMeter } from './perplexity-meter.js';
import type { ProgressLog } from './progress-log.js';
import type { FindingsSettings } from './settings.js';
import type { CliRunOptions } from './shorten-cli.js';
import { runShorten } from './shorten-cli.js';
import type { StepCache } from './step-cache.js';

/** Perplexity per evaluation text name. */
export type PerplexityByText = Record<string, PerplexityFigure>;

export interface FindingsContext {
  settings: FindingsSettings;
  cache: StepCache;
  log: ProgressLog;
  model: ModelFacts;
  weights: ModelWeights;
  tokenizer: Tokenizer;
  meter: PerplexityMeter;
  /** The calibration file every criterion reads (TinyStories stories as JSONL). */
  calibFile: string;
  shorten<T>(args: string[], opts?: CliRunOptions): Promise<T>;
  /** Perplexity of the original with these blocks removed, on every evaluation text (cached). */
  pplWithout(blocks: readonly number[], label: string): Promise<PerplexityByText>;
  /**
   * Perplexity of a model written by a step, on every evaluation text (cached under the step's
   * hash, which already names everything that made the model).
   */
  pplOfFolder(folder: string, producedBy: string, label: string): Promise<PerplexityByText>;
}

export function createContext(
  base: Omit<FindingsContext, 'shorten' | 'pplWithout' | 'pplOfFolder'>,
): FindingsContext {
  const { cache, meter } = base;
  const measurement = { seqLen: meter.seqLen, maxTokens: meter.maxTokens, texts: meter.texts };
  const measureAll = (w: ModelWeights): PerplexityByText =>
    Object.fromEntries(meter.texts.map((t) => [t.name, meter.measure(w, t)]));
  return {
    ...base,
    shorten: <T>(args: string[], opts?: CliRunOptions) => runShorten<T>(args, base.log, opts),
    async pplWithout(blocks, label) {
      const sorted = [...blocks].sort((a, b) => a - b);
      const key = { model: base.model.fingerprint, removed: sorted, ...measurement };
      const r = await cache.run(`ppl-removed`, label, key, () =>
        measureAll(sorted.length === 0 ? base.weights : removeBlocks(base.weights, sorted)),
      );
      return r.result;
    },
    async pplOfFolder(folder, producedBy, label) {
      const key = { producedBy, ...measurement };
      const r = await cache.run('ppl-model', label, key, () => {
        const m = openModel(folder);
        if (m.tokenizer.vocabSize !== base.tokenizer.vocabSize)
          throw new Error(
            `${folder}: its tokenizer has ${m.tokenizer.vocabSize} tokens, the original's ${base.tokenizer.vocabSize}`,
          );
        return measureAll(m.weights);
      });
      return r.result;
    },
  };
}
