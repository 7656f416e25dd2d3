// Runs the `shorten` CLI from source (through tsx), as bin/shorten.js runs the built one, so the
// kill tests and the large-model script drive the real command without a build step.
import { main } from '../../src/cli/main.js';

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`shorten: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
