// Width pruning (the paper's baseline), reached from `shorten prune --method width`: plans the
// budget, scores, cuts and writes the result as an ordinary checkpoint with its tokenizer.
import type { OpenedModel } from '../../pipeline/open-model.js';
import { saveModelWithTokenizer } from '../../pipeline/save-model.js';
import { readCalibrationDocuments, sampleCalibration } from '../../text/calibration.js';
import { parameterCount } from '../cut.js';
import { parseRemoveTarget } from '../plan.js';
import { widthPrune } from './width-prune.js';

export interface WidthPruneCommandOptions {
  /** '20%' (as depth pruning: the parameters of round(0.2·L) blocks) or a number of blocks' worth. */
  remove: string;
  out: string;
  format: 'hf' | 'gguf';
  /** magnitude, or wanda (|W|·‖x‖ on calibration text). */
  score: string;
  calib?: string;
  samples: number;
  seqLen: number;
  seed: number;
  json: boolean;
}

export function runWidthPrune(model: OpenedModel, opts: WidthPruneCommandOptions): Promise<void> {
  return Promise.resolve().then(() => {
    if (opts.score !== 'magnitude' && opts.score !== 'wanda')
      throw new RangeError(`--score for width pruning: magnitude or wanda (got '${opts.score}')`);
    const blocks = parseRemoveTarget(opts.remove, model.weights.config.numLayers);
    let calib = null;
    if (opts.score === 'wanda') {
      if (!opts.calib) throw new RangeError('--score wanda needs --calib <text file>');
      calib = sampleCalibration(
        readCalibrationDocuments(opts.calib),
        model.tokenizer,
        { samples: opts.samples, seqLen: opts.seqLen, seed: opts.seed },
        opts.calib,
      );
    }
    const result = widthPrune(model.weights, blocks, opts.score, calib);
    saveModelWithTokenizer(result.weights, model.tokenizer, opts.out, opts.format);
    const c = result.weights.config;
    const summary = {
      method: 'width',
      score: opts.score,
      out: opts.out,
      blocks_worth: blocks,
      parameters_before: parameterCount(model.weights),
      parameters_after: result.parameters,
      target_parameters: result.plan.targetParameters,
      num_attention_heads: c.numHeads,
      num_key_value_heads: c.numKvHeads,
      intermediate_size: c.intermediateSize,
      kv_groups_kept: result.kvGroupsKept,
    };
    if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else
      process.stdout.write(
        `width-pruned ${summary.parameters_before} → ${summary.parameters_after} parameters ` +
          `(depth target ${summary.target_parameters}): ${c.numHeads} heads, ${c.numKvHeads} KV heads, ` +
          `MLP ${c.intermediateSize}; wrote ${opts.out}\n`,
      );
  });
}
