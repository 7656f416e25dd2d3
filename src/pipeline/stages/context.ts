// What every stage of `shorten run` is given: the run folder, the settings, progress, and the source
// model opened once on first use.
import { relative } from 'node:path';
import type { RunConfig } from '../run-config.js';
import type { RunProgress } from '../run-progress.js';
import { openModel } from '../open-model.js';
import type { OpenedModel } from '../open-model.js';

export interface RunContext {
  dir: string;
  config: RunConfig;
  modelPath: string;
  progress: RunProgress;
  original(): OpenedModel;
}

export function runContext(
  dir: string,
  config: RunConfig,
  modelPath: string,
  progress: RunProgress,
): RunContext {
  let opened: OpenedModel | null = null;
  return {
    dir,
    config,
    modelPath,
    progress,
    original: () => (opened ??= openModel(modelPath, { tokenizer: config.tokenizer })),
  };
}

/** A path inside the run folder as stored in results (relative, so the folder can move). */
export function insideRun(ctx: RunContext, path: string): string {
  return relative(ctx.dir, path);
}
