// The test suite's own rule for fixtures: the run ends with one line counting the skipped tests by
// cause, and a test that skips for a missing fixture while the fixtures folder exists fails the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('../helpers/skip-summary.mjs', import.meta.url));
const FIXTURES_HELPER = fileURLToPath(new URL('../helpers/fixtures.ts', import.meta.url));

/** Runs one generated test file under the reporter with SHORTEN_FIXTURES=`fixtures`. */
function runSuite(fixtures: string): { status: number | null; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shorten-skip-summary-'));
  try {
    const file = join(dir, 'sample.test.ts');
    writeFileSync(
      file,
      `import { test } from 'node:test';
import { FIXTURES, missingFixture } from ${JSON.stringify(FIXTURES_HELPER)};
test('runs', () => {});
test('needs a model', { skip: missingFixture(FIXTURES + '/models/m.bin') }, () => {});
test('needs a text', { skip: missingFixture(FIXTURES + '/text/t.txt') }, () => {});
test('opt-in', { skip: 'set OPT_IN=1' }, () => {});
`,
    );
    // Without NODE_TEST_CONTEXT the inner run reports for itself instead of to this runner.
    const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-reporter=${REPORTER}`,
        '--test-reporter-destination=stdout',
        file,
      ],
      { encoding: 'utf8', env: { ...env, SHORTEN_FIXTURES: fixtures } },
    );
    return { status: r.status, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without the fixtures folder the skips pass and are counted once, by cause', () => {
  const r = runSuite('/nonexistent/fixtures');
  assert.equal(r.status, 0, r.stdout);
  assert.equal(
    r.stdout.trim(),
    'skipped 3 tests: 2 missing fixture under /nonexistent/fixtures (set SHORTEN_FIXTURES); 1 set OPT_IN=1',
  );
});

test('with the fixtures folder present, a skip for a missing fixture fails the run naming the test', () => {
  const fixtures = mkdtempSync(join(tmpdir(), 'shorten-fixtures-'));
  try {
    mkdirSync(join(fixtures, 'models'));
    const r = runSuite(fixtures);
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stdout,
      /error: the fixtures folder exists, yet 2 test\(s\) skipped for a missing fixture/,
    );
    assert.match(r.stdout, /needs a model: missing fixture models\/m\.bin/);
  } finally {
    rmSync(fixtures, { recursive: true, force: true });
  }
});
