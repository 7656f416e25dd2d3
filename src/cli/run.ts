// Runs the CLI from source (node --import tsx src/cli/run.ts ...), for scripts and tests that
// should not depend on a compiled dist/.
import { main } from './main.js';

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`shorten: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
