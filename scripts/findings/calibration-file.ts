// The calibration text as JSONL, one story per row: the corpus files end each story with a line
// `<|endoftext|>`, which `--calib` does not split at (it splits plain text at blank lines only),
// so the stories are written out once, in the work folder, as `{"text": …}` rows.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Stories of a text: split at `<|endoftext|>` lines when the file has them, else at blank lines. */
export function splitStories(text: string): string[] {
  const parts = /^<\|endoftext\|>[ \t]*$/m.test(text)
    ? text.split(/^<\|endoftext\|>[ \t]*$/m)
    : text.split(/\r?\n[ \t]*\r?\n/);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Writes (once per source content) and returns the JSONL file of the source's stories. */
export function calibrationJsonl(source: string, workDir: string): { file: string; stories: number } {
  const text = readFileSync(source, 'utf8');
  const stories = splitStories(text);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = join(workDir, `calib-${hash}.jsonl`);
  if (!existsSync(file)) {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, stories.map((s) => JSON.stringify({ text: s })).join('\n') + '\n');
    renameSync(tmp, file);
  }
  return { file, stories: stories.length };
}
