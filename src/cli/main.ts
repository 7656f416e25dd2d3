// The command line: parses arguments and calls the library; no work happens here.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { setThreadCount } from '../native/index.js';
import { registerBench } from './bench.js';
import { registerHealCommands } from './heal-commands.js';
import { registerMeasureCommands } from './measure-commands.js';
import { registerModelCommands } from './model-commands.js';
import { registerPruneCommands } from './prune-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerTokenizerCommands } from './tokenizer-commands.js';
import { NoQuestionsError } from '../eval/zeroshot.js';
import { TeacherMismatchError } from '../heal/teacher-check.js';
import { NoTrainingRowsError } from '../heal/training-data.js';
import { CalibrationTooSmallError } from '../prune/calibration-source.js';
import { UsageError } from './options.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('shorten')
    .description(
      'Make LLaMA-family models shorter by removing whole transformer blocks, then heal and measure them.',
    )
    .version(packageVersion())
    .option('--threads <n>', 'compute threads (default: all cores, or SHORTEN_THREADS)')
    .showHelpAfterError()
    .hook('preAction', (cmd) => {
      const threads = cmd.opts<{ threads?: string }>().threads;
      if (threads !== undefined) {
        const n = Number(threads);
        if (!Number.isInteger(n) || n < 1)
          throw new CommanderError(2, 'shorten.threads', '--threads must be a positive integer');
        setThreadCount(n);
      }
    });
  program.exitOverride();
  // Command groups shared by several registrars: each adds its own subcommands.
  const evalCmd = program.command('eval').description('Measure a model: perplexity, zero-shot accuracy');
  const benchCmd = program
    .command('bench')
    .description('Benchmarks: speed against the machine and against references, as ratios from one run');
  registerModelCommands(program, evalCmd);
  registerPruneCommands(program);
  registerHealCommands(program);
  registerMeasureCommands(program, evalCmd, benchCmd);
  registerTokenizerCommands(program);
  registerRunCommands(program);
  registerBench(benchCmd);
  return program;
}

/** Runs the CLI; exit codes: 0 success, 1 failure, 2 bad usage. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return;
      process.exitCode = 2;
      return;
    }
    // Settings the library found impossible before doing any work are bad usage too.
    if (
      err instanceof UsageError ||
      err instanceof NoTrainingRowsError ||
      err instanceof CalibrationTooSmallError ||
      err instanceof NoQuestionsError ||
      err instanceof TeacherMismatchError
    ) {
      process.stderr.write(`shorten: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
