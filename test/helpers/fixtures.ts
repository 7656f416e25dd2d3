// Paths of the shared fixtures (read in place, never copied into the repository), found through
// SHORTEN_FIXTURES (default ../shared/fixtures beside the repository), and the skip rule for tests
// that need them: `test(name, { skip: missingFixture(PATH) }, ...)` skips, naming the file, when it
// is absent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = resolve(ROOT, '../shared');
export const FIXTURES = resolve(process.env.SHORTEN_FIXTURES ?? join(SHARED, 'fixtures'));
export const STORIES260K_BIN = join(FIXTURES, 'models/stories260K/stories260K.bin');
export const STORIES260K_GGUF = join(FIXTURES, 'models/stories260K/stories260K.gguf');
export const TOK512_BIN = join(FIXTURES, 'models/stories260K/tok512.bin');
export const LLAMA2XS_BIN = join(FIXTURES, 'models/llama2xs-5L/model.bin');
export const QUANTIZED_DIR = join(FIXTURES, 'models/quantized');
export const WIKI_TEST = join(FIXTURES, 'text/wiki.test.raw');
export const TINYSTORIES_VAL = join(FIXTURES, 'text/tinystories_validation_head.txt');

/** The skip reason when any of `paths` is missing (node:test's `skip` option), else false. */
export function missingFixture(...paths: string[]): string | false {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return false;
  return `missing fixture ${missing.map((p) => relative(FIXTURES, p) || p).join(', ')} (set SHORTEN_FIXTURES)`;
}
