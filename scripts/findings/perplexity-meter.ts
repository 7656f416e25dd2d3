// Perplexity of in-memory weights on the evaluation texts, with the protocol of `shorten eval ppl
// --seq-len S --limit N` (one BOS at the start, non-overlapping segments, the first N kept): run in
// this process because the sweep measures dozens of block removals of one loaded model.
import { readFileSync } from 'node:fs';
import { perplexity, perplexitySegments } from '../../src/eval/perplexity.js';
import { LlamaInference } from '../../src/model/inference.js';
import type { ModelWeights } from '../../src/model/weights.js';
import { sequenceStartToken, type Tokenizer } from '../../src/text/tokenizer.js';
import type { EvalText } from './settings.js';

export interface PerplexityFigure {
  ppl: number;
  nll: number;
  /** Predicted tokens (segments × (seq-len − 1)). */
  tokens: number;
  segments: number;
}

export class PerplexityMeter {
  private readonly segments = new Map<string, number[][]>();

  constructor(
    private readonly tokenizer: Tokenizer,
    readonly texts: readonly EvalText[],
    readonly seqLen: number,
    /** At most this many tokens per text: floor(maxTokens / seqLen) segments. */
    readonly maxTokens: number,
  ) {}

  /** The `--limit` that `shorten eval ppl` needs to score the same segments. */
  get segmentLimit(): number {
    return Math.max(1, Math.floor(this.maxTokens / this.seqLen));
  }

  /** The segments scored for `text` (the first N of the protocol). */
  segmentsOf(text: EvalText): number[][] {
    let s = this.segments.get(text.name);
    if (!s) {
      const stream = this.tokenizer.encode(readFileSync(text.file, 'utf8'));
      const start = sequenceStartToken(this.tokenizer).id;
      s = perplexitySegments(stream, this.seqLen, 'first', start).slice(0, this.segmentLimit);
      if (s.length === 0)
        throw new Error(`${text.file}: fewer than ${this.seqLen} tokens; no segment to score`);
      this.segments.set(text.name, s);
    }
    return s;
  }

  measure(weights: ModelWeights, text: EvalText): PerplexityFigure {
    const r = perplexity(new LlamaInference(weights, 'findings'), this.segmentsOf(text), { batch: 8 });
    return { ppl: r.ppl, nll: r.nll, tokens: r.tokens, segments: r.segments };
  }
}
