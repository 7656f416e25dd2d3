// Data the project makes itself, for tests that must run on any clone: stories sampled from the
// default model (the twin of the TinyStories fixture text), zero-shot task files in every task's
// row shape, and Alpaca-shaped instruction rows. Seeded, so every run sees the same data, on every CPU.
import { sequenceStartToken } from '../../src/text/sequence-start.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TASKS } from '../../src/eval/tasks/definitions.js';
import { generate } from '../../src/model/generate.js';
import { amxActive, setAmx } from '../../src/native/index.js';
import { inferenceOf, openModel } from '../../src/pipeline/open-model.js';
import { mulberry32 } from './random.js';
import { DEFAULT_MODEL } from './project-models.js';

let storiesCache: string[] = [];

/** `count` stories sampled from the default model (temperature 1, seeded), each about 200 tokens. */
export function projectStories(count: number): string[] {
  if (storiesCache.length < count) {
    const m = openModel(DEFAULT_MODEL);
    // The default model is bf16. AMX rounds activations to bf16 where other CPUs keep them f32, and a
    // sampled token can flip on that: the stories are sampled without AMX, the same on every machine.
    const amx = amxActive();
    setAmx(false);
    let r: ReturnType<typeof generate>;
    try {
      r = generate(
        inferenceOf(m),
        Array.from({ length: count }, () => [sequenceStartToken(m.tokenizer).id]),
        { maxNewTokens: 200, temperature: 1, seed: 20240214, stopAtEos: false },
      );
    } finally {
      setAmx(amx);
    }
    storiesCache = r.tokens.map((ids) =>
      m.tokenizer
        .decode(ids, { skipSpecial: true })
        .replace(/\n\s*\n/g, '\n')
        .trim(),
    );
  }
  return storiesCache.slice(0, count);
}

/** Writes `count` project stories to `file`, separated by blank lines (the calibration file shape). */
export function writeProjectStories(file: string, count: number): string {
  writeFileSync(file, projectStories(count).join('\n\n') + '\n');
  return file;
}

const NAMES = ['Lily', 'Tom', 'Sue', 'Max', 'Ben', 'Mia'];
const THINGS = ['ball', 'cat', 'tree', 'cake', 'boat', 'dog'];

/** Task files for all seven tasks (each in its own row shape) with `rows` questions each, in `dir`. */
export function writeSyntheticTasks(dir: string, rows = 8, seed = 7): string {
  mkdirSync(dir, { recursive: true });
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  for (const task of TASKS) {
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const name = pick(NAMES);
      const thing = pick(THINGS);
      if (task.shape === 'partial') {
        lines.push(
          JSON.stringify({
            context_options: [`${name} saw the ${thing}, and`, `${name} saw the ${pick(THINGS)}, and`],
            continuation: `she was very happy.`,
            gold: i % 2,
          }),
        );
        continue;
      }
      const count = task.name === 'boolq' ? 2 : task.name === 'piqa' ? 2 : 4;
      const choices =
        task.name === 'boolq'
          ? ['no', 'yes']
          : Array.from(
              { length: count },
              (_, k) => `${k === 0 ? 'the' : 'a'} ${THINGS[(i + k) % THINGS.length]}`,
            );
      lines.push(
        JSON.stringify({
          query: `Once upon a time, ${name} went to the park to play with`,
          choices,
          gold: i % count,
        }),
      );
    }
    const text = lines.join('\n') + '\n';
    writeFileSync(join(dir, task.file), task.file.endsWith('.gz') ? gzipSync(text) : text);
  }
  return dir;
}

/** `count` Alpaca rows (instruction, input, output), every third with an input, written as JSON to `file`. */
export function writeInstructionRows(file: string, count = 40): string {
  const rows = Array.from({ length: count }, (_, i) => ({
    instruction: `Write one sentence about ${NAMES[i % NAMES.length]} and the ${THINGS[i % THINGS.length]}.`,
    input: i % 3 === 0 ? `The ${THINGS[(i + 1) % THINGS.length]} is red.` : '',
    output: `${NAMES[i % NAMES.length]} played with the ${THINGS[i % THINGS.length]} all day and was very happy.`,
  }));
  writeFileSync(file, JSON.stringify(rows, null, 2));
  return file;
}
