// A short run of the fuzzer (scripts/fuzz.ts runs 10,000 cases per format): every damaged fixture
// must load or fail with a clean error naming the file and the field; no crash, hang or overrun.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCleanError } from '../../scripts/fuzz-child.js';
import { DEFAULT_SETTINGS, fuzzFormat } from '../../scripts/fuzz-runner.js';
import type { FormatResult } from '../../scripts/fuzz-runner.js';
import { TARGETS } from '../../scripts/fuzz-targets.js';
import { FormatError } from '../../src/formats/errors.js';

const CASES = 120;

test('what counts as a clean error', () => {
  const dir = '/tmp/case-dir';
  assert.ok(isCleanError(new FormatError(`${dir}/m.gguf`, 'tensor_count', 'at most 3'), dir));
  assert.equal(isCleanError(new RangeError(`${dir}/m.gguf: field 'x': expected y`), dir), false);
  assert.equal(isCleanError(new FormatError('elsewhere.gguf', 'x', 'y'), dir), false);
  assert.equal(isCleanError(new Error(`${dir}/m.gguf: something broke`), dir), false);
  assert.equal(isCleanError('a string', dir), false);
});

test(`fuzz: ${CASES} damaged cases per format load or fail cleanly`, async (t) => {
  const settings = { ...DEFAULT_SETTINGS, cases: CASES, seed: 20240601 };
  const queue = TARGETS.map((x) => x.name);
  const results: FormatResult[] = [];
  // Two formats at a time: CI has two cores.
  const lane = async (): Promise<void> => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift())
      results.push(await fuzzFormat(f, settings));
  };
  await Promise.all([lane(), lane()]);
  for (const r of results) {
    t.diagnostic(
      `${r.format}: ${r.cases} cases, ${r.loaded} loaded, ${r.clean} clean errors, ${r.failures.length} failures`,
    );
    assert.equal(r.cases, CASES);
    assert.ok(r.clean > 0, `${r.format}: no case was rejected, so the mutations did nothing`);
    assert.deepEqual(
      r.failures.map((x) => `#${x.index} ${x.file} ${x.mutation}: ${x.message}`),
      [],
      r.format,
    );
  }
});
