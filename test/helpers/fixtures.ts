// Paths of the shared fixtures (read in place, never copied into the repository).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const FIXTURES = join(SHARED, 'fixtures');
export const STORIES260K_BIN = join(FIXTURES, 'models/stories260K/stories260K.bin');
export const STORIES260K_GGUF = join(FIXTURES, 'models/stories260K/stories260K.gguf');
export const TOK512_BIN = join(FIXTURES, 'models/stories260K/tok512.bin');
export const LLAMA2XS_BIN = join(FIXTURES, 'models/llama2xs-5L/model.bin');
export const WIKI_TEST = join(FIXTURES, 'text/wiki.test.raw');
export const TINYSTORIES_VAL = join(FIXTURES, 'text/tinystories_validation_head.txt');
