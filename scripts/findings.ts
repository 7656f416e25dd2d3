// `npm run findings`: measures the Shortened LLaMA paper's five findings on a model (default: the
// embedded models/default) and writes docs/findings.md, docs/findings.json and docs/findings/*.svg.
// Every step is cached under --work, so a killed run resumes and a rerun rebuilds the report at once.
// Usage: nice -n 10 npm run findings -- [--quick] [--model DIR] [--work DIR] [--docs DIR] (--help for all)
import { parseSettings } from './findings/settings.js';

const settings = parseSettings(process.argv.slice(2));
// Imported after the settings parse, so --help answers without loading the native addon.
const { runFindings } = await import('./findings/run-findings.js');
try {
  await runFindings(settings, process.argv.slice(2));
} catch (e) {
  process.stderr.write(`findings: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
