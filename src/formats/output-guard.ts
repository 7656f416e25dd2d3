// Refuses an output path that is the input model or lies inside it (or, for a write that replaces a
// folder, one that holds the input): writing there would destroy the weights still being read.
// Inputs are the paths noted with noteModelInput plus every checkpoint file this process has mmapped.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

export class OutputPathError extends Error {
  constructor(
    readonly out: string,
    readonly input: string,
    why: string,
  ) {
    super(`${out}: field 'output path': expected a path outside the input model ${input} (${why})`);
    this.name = 'OutputPathError';
  }
}

const noted = new Set<string>();

/** Records `path` as a model this process reads from (callers that read without mmap use this). */
export function noteModelInput(path: string): void {
  noted.add(canonical(path));
}

/** The real path of `p`, resolving the nearest existing ancestor when `p` does not exist yet. */
function canonical(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const up = dirname(head);
    if (up === head) return abs;
    tail.unshift(basename(head));
    head = up;
  }
  return join(realpathSync(head), ...tail);
}

/** Checkpoint files mapped into this process (Linux); elsewhere only noted inputs count. */
function mappedFiles(): string[] {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const line of maps.split('\n')) {
    const at = line.indexOf(' /');
    if (at < 0) continue;
    const path = line.slice(at + 1).trim();
    if (/\.(safetensors|gguf|bin)$/.test(path)) out.add(path);
  }
  return [...out];
}

/** The models being read: noted ones, and with `mapped` each mapped file and the model folder around it. */
function inputModels(mapped: boolean): string[] {
  const models = new Set(noted);
  for (const file of mapped ? mappedFiles() : []) {
    models.add(file);
    const dir = dirname(file);
    if (existsSync(join(dir, 'config.json')) || existsSync(join(dir, 'adapter_config.json'))) models.add(dir);
  }
  return [...models];
}

const inside = (child: string, parent: string): boolean =>
  child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/**
 * Throws an OutputPathError when `out` is an input model or inside one; with `replaces` (the write
 * swaps out a whole folder at `out`), also when an input model lies inside `out`. `mapped` counts
 * every checkpoint this process has mapped as an input: right for a command, which opens its
 * input and writes its output, too strict for a library caller that re-saves what it read.
 */
export function refuseOutputOverInput(
  out: string,
  opts: { replaces?: boolean; mapped?: boolean } = {},
): void {
  const target = canonical(out);
  for (const input of inputModels(opts.mapped ?? false)) {
    if (target === input) throw new OutputPathError(out, input, 'it is the input');
    if (inside(target, input)) throw new OutputPathError(out, input, 'it lies inside the input');
    if (opts.replaces && inside(input, target))
      throw new OutputPathError(out, input, 'replacing it would delete the input inside it');
  }
}
