// Paths of the shared fixtures (read in place, never copied into the repository), found through
// SHORTEN_FIXTURES (default ../shared/fixtures beside the repository), and the skip rule for tests
// that need them: `test(name, { skip: missingFixture(PATH) }, ...)` skips, naming the file, when it
// is absent. The corpus (TinyStories, instruction rows) sits beside the fixtures folder.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = resolve(process.env.SHORTEN_FIXTURES ?? join(ROOT, '../shared/fixtures'));
export const CORPUS = resolve(process.env.SHORTEN_CORPUS ?? join(dirname(FIXTURES), 'corpus'));
export const STORIES260K_BIN = join(FIXTURES, 'models/stories260K/stories260K.bin');
export const STORIES260K_GGUF = join(FIXTURES, 'models/stories260K/stories260K.gguf');
export const TOK512_BIN = join(FIXTURES, 'models/stories260K/tok512.bin');
export const LLAMA2XS_BIN = join(FIXTURES, 'models/llama2xs-5L/model.bin');
export const QUANTIZED_DIR = join(FIXTURES, 'models/quantized');
export const WIKI_TEST = join(FIXTURES, 'text/wiki.test.raw');
export const TINYSTORIES_VAL = join(FIXTURES, 'text/tinystories_validation_head.txt');
export const TASKS_DIR = join(FIXTURES, 'tasks');
export const ALPACA_ROWS = join(CORPUS, 'instruct/rasbt_instruction-data.json');
export const TINYSTORIES_TRAIN = join(CORPUS, 'tinystories/ts_jasonyao3_train_part1.txt');

/**
 * The skip reason when any of `paths` is missing (node:test's `skip` option), else false. Its shape,
 * `missing fixture NAMES (FOLDER; set SHORTEN_FIXTURES)`, is what test/helpers/skip-summary.mjs
 * reads: it counts these skips, and fails the run when FOLDER exists.
 */
export function missingFixture(...paths: string[]): string | false {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return false;
  const names = missing.map((p) => (p.startsWith(FIXTURES) ? relative(FIXTURES, p) : p));
  return `missing fixture ${names.join(', ')} (${FIXTURES}; set SHORTEN_FIXTURES)`;
}
