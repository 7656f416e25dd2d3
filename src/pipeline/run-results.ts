// A stage's results live in DIR/<stage>/, and the stage counts as done only once its result.json
// exists: it is written last, under a temporary name renamed into place.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../formats/atomic-write.js';
import type { StageName } from '../report/results.js';

export function stageDir(dir: string, stage: StageName): string {
  return join(dir, stage);
}

export function stageResultPath(dir: string, stage: StageName): string {
  return join(stageDir(dir, stage), 'result.json');
}

export function stageDone(dir: string, stage: StageName): boolean {
  return existsSync(stageResultPath(dir, stage));
}

export function writeStageResult(dir: string, stage: StageName, result: object): void {
  writeFileAtomic(stageResultPath(dir, stage), [
    new TextEncoder().encode(JSON.stringify(result, null, 2) + '\n'),
  ]);
}

export function readStageResult<T>(dir: string, stage: StageName): T {
  const file = stageResultPath(dir, stage);
  if (!existsSync(file))
    throw new Error(
      `${file}: missing; the ${stage} stage has not finished (run \`shorten run\` on this folder)`,
    );
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(
      `${file}: not valid JSON (${(e as Error).message}); redo the stage with --force ${stage}`,
    );
  }
}
