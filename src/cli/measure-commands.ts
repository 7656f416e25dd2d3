// `shorten eval zeroshot` and `shorten bench generate`: accuracy and inference efficiency.
import type { Command } from 'commander';

export function registerMeasureCommands(_program: Command, _evalCmd: Command, _bench: Command): void {}
