// A node:test reporter (beside `spec`) that ends the run with one line: how many tests skipped and
// why, grouped by cause. A test that skipped for a missing fixture while the fixtures folder exists
// fails the run, so CI, which has the folder, never silently tests less. Plain JavaScript: the test
// runner loads reporters before tsx is registered.
import { existsSync } from 'node:fs';

// missingFixture()'s reason (test/helpers/fixtures.ts): `missing fixture NAMES (FOLDER; set SHORTEN_FIXTURES)`.
const FIXTURE_SKIP = /^missing fixture .* \((.+); set SHORTEN_FIXTURES\)$/;

export default async function* skipSummary(source) {
  const byCause = new Map();
  const wrongSkips = [];
  let suites = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' || !event.data.skip) continue;
    // A skipped suite is one entry here (node's own count leaves it out): its tests never run.
    if (event.data.details?.type === 'suite') suites++;
    const reason = typeof event.data.skip === 'string' ? event.data.skip : 'no reason given';
    const fixture = FIXTURE_SKIP.exec(reason);
    const cause = fixture ? `missing fixture under ${fixture[1]} (set SHORTEN_FIXTURES)` : reason;
    byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
    if (fixture && existsSync(fixture[1])) wrongSkips.push(`${event.data.name}: ${reason}`);
  }
  const total = [...byCause.values()].reduce((a, b) => a + b, 0);
  const tests = total - suites;
  const causes = [...byCause].map(([cause, n]) => `${n} ${cause}`).join('; ');
  const counted = `${tests} test${tests === 1 ? '' : 's'}${suites > 0 ? ` and ${suites} suite${suites === 1 ? '' : 's'}` : ''}`;
  yield `skipped ${counted}${total > 0 ? `: ${causes}` : ''}\n`;
  if (wrongSkips.length > 0) {
    process.exitCode = 1;
    yield `error: the fixtures folder exists, yet ${wrongSkips.length} test(s) skipped for a missing fixture:\n`;
    for (const s of wrongSkips) yield `  ${s}\n`;
  }
}
