// `npm run findings`: measures the Shortened LLaMA paper's five findings on a model (default: the
// embedded models/default) and writes docs/findings.md, docs/findings.json and docs/findings/*.svg.
// Every step is cached under --work, so a killed run resumes and a rerun rebuilds the report at once.
// Usage: nice -n 10 npm run findings -- [--quick] [--model DIR] [--work DIR] [--docs DIR] (--help for all)
import { spawnSync } from 'node:child_process';
import { parseSettings } from './findings/settings.js';

const settings = parseSettings(process.argv.slice(2));
// The native addon loads with the measuring modules: wait out a rebuild that holds the team's lock.
spawnSync('flock', ['/tmp/shorten-build.lock', 'true'], { stdio: 'ignore' });
const { runFindings } = await import('./findings/run-findings.js');
try {
  await runFindings(settings, process.argv.slice(2));
} catch (e) {
  process.stderr.write(`findings: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
