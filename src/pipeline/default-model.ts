// Where the embedded default model lives (<package root>/models/default), found from this file's own
// location so that it resolves the same from src/ under tsx and from the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../models/default', import.meta.url));

/** The default model's folder, or an error saying it is missing and what to do instead. */
export function defaultModelPath(): string {
  if (!existsSync(DEFAULT_MODEL_DIR))
    throw new Error(
      `no embedded default model at ${DEFAULT_MODEL_DIR}; give a model: shorten run MODEL (HF folder, GGUF or llama2.c .bin)`,
    );
  return DEFAULT_MODEL_DIR;
}
