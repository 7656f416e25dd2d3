// `shorten tokenizer train`: a byte-fallback BPE tokenizer trained on plain text.
import type { Command } from 'commander';

export function registerTokenizerCommands(_program: Command): void {}
