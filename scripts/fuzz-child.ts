// The process the fuzzer runs cases in: it damages a file, calls the loader and reports each
// outcome to the parent, which watches the time and restarts it after a hang or a crash.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseSeed, seededGenerator } from './fuzz-mutations.js';
import { TARGETS, makeCase, replaceFile } from './fuzz-targets.js';

/** JavaScript's own error types: thrown by an unchecked read or allocation, never on purpose. */
const BUILTIN_ERRORS = new Set([
  'RangeError',
  'TypeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
]);
const FIELD_WORDS = /\bfield\b|expected/i;

export interface CaseOutcome {
  index: number;
  outcome: 'loaded' | 'clean' | 'failure';
  mutation: string;
  file: string;
  message?: string;
  rss: number;
}

/** A clean error: an Error subclass of our own whose message names a file of the case and a field or expectation. */
export function isCleanError(err: unknown, caseDir: string): boolean {
  if (!(err instanceof Error) || BUILTIN_ERRORS.has(err.name) || (err.constructor === Error && !err.message))
    return false;
  return err.message.includes(caseDir) && FIELD_WORDS.test(err.message);
}

async function run(): Promise<void> {
  const [format, seedText, fromText, toText, deepText] = process.argv.slice(2);
  const target = TARGETS.find((t) => t.name === format);
  if (!target) throw new Error(`fuzz: unknown format ${format}`);
  const dir = mkdtempSync(join(tmpdir(), `shorten-fuzz-${format.replace(/\W/g, '')}-`));
  try {
    target.setup(dir);
    const seedFiles = new Map(
      target.files.map((f) => [f.name, new Uint8Array(readFileSync(join(dir, f.name)))]),
    );
    for (let index = Number(fromText); index < Number(toText); index++) {
      const r = seededGenerator(caseSeed(Number(seedText), format, index));
      const c = makeCase(target, seedFiles, r, Number(deepText));
      replaceFile(join(dir, c.file), c.bytes);
      let result: CaseOutcome;
      try {
        target.load(dir);
        result = { index, outcome: 'loaded', mutation: c.mutation, file: c.file, rss: 0 };
      } catch (err) {
        const clean = isCleanError(err, dir);
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        result = { index, outcome: clean ? 'clean' : 'failure', mutation: c.mutation, file: c.file, rss: 0 };
        if (!clean) result.message = message.slice(0, 500);
      }
      replaceFile(join(dir, c.file), seedFiles.get(c.file)!);
      // Mapped checkpoints are invisible to V8's heap accounting, so nothing prompts a collection
      // that would unmap the previous cases' files; a real command maps one model and never piles them up.
      // The unmapping runs in a finalizer, so the event loop has to turn after the collection.
      if (index % 50 === 49) {
        globalThis.gc?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      result.rss = process.memoryUsage.rss();
      process.send!(result);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.send) await run();
