// `shorten tokenizer train`: a byte-fallback BPE tokenizer trained on plain text.
import type { Command } from 'commander';
import { trainBpe } from '../text/bpe-trainer.js';
import { readTrainingText } from '../text/bpe-trainer-input.js';
import { writeTrainedTokenizer } from '../text/bpe-trainer-save.js';
import { loadTokenizerJson } from '../text/tokenizer-json.js';
import { intOption, numberOption, UsageError } from './options.js';

function collectFiles(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ];
}

export function registerTokenizerCommands(program: Command): void {
  const tokenizer = program.command('tokenizer').description('Tokenizer tools');
  tokenizer
    .command('train')
    .description('Train a BPE tokenizer with byte fallback (Llama-2 form) and write tokenizer.json')
    .requiredOption('--text <files>', 'text files, comma-separated and/or repeated', collectFiles)
    .option('--vocab <n>', 'vocabulary size, 3 special and 256 byte pieces included', '512')
    .requiredOption('--out <path>', 'the tokenizer.json to write (tokenizer_config.json goes beside it)')
    .option('--max-bytes <n>', 'read at most this many bytes of text in all')
    .option('--character-coverage <share>', 'share of characters that get their own piece', '0.9995')
    .option('--separator <line>', 'a line that ends one document (not trained on)', '<|endoftext|>')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten tokenizer train --text stories-a.txt,stories-b.txt --vocab 512 --out tok/tokenizer.json',
    )
    .action((opts: Record<string, string | string[] | boolean | undefined>) => {
      const files = (opts.text as string[] | undefined) ?? [];
      if (files.length === 0) throw new UsageError('--text: expected at least one text file');
      const vocabSize = intOption(opts.vocab, '--vocab', 259);
      const coverage = numberOption(opts.characterCoverage, '--character-coverage');
      if (!(coverage > 0 && coverage <= 1))
        throw new UsageError(`--character-coverage must be in (0, 1] (got '${String(coverage)}')`);
      const maxBytes = opts.maxBytes === undefined ? undefined : intOption(opts.maxBytes, '--max-bytes', 1);
      const out = String(opts.out);
      const json = Boolean(opts.json);
      const progress = !json && process.stderr.isTTY;

      const started = performance.now();
      const text = readTrainingText(files, { maxBytes, separator: String(opts.separator) });
      if (text.documents.length === 0)
        throw new UsageError(`--text: expected some text, but ${files.join(', ')} held none`);
      const result = trainBpe(text.documents, {
        vocabSize,
        characterCoverage: coverage,
        onProgress: progress ? (d, t) => process.stderr.write(`\rmerges ${d}/${t}`) : undefined,
      });
      if (progress) process.stderr.write('\n');
      writeTrainedTokenizer(result.vocab, out);
      // The written files must load on their own, as every later command will load them.
      const loaded = loadTokenizerJson(out);
      const summary = {
        out,
        vocabSize: loaded.vocabSize,
        merges: result.merges.length,
        initialChars: result.initialChars,
        characterShare: result.characterShare,
        documents: text.documents.length,
        bytes: text.bytesRead,
        chars: result.chars,
        tokens: result.tokens,
        tokensPerChar: result.tokens / result.chars,
        seconds: (performance.now() - started) / 1000,
      };
      process.stdout.write(
        json
          ? JSON.stringify(summary) + '\n'
          : `wrote ${out} (vocab ${summary.vocabSize}: ${summary.merges} merges, ${summary.initialChars} characters) ` +
              `from ${summary.chars} characters in ${summary.documents} documents; ` +
              `${summary.tokensPerChar.toFixed(4)} tokens/char; ${summary.seconds.toFixed(1)} s\n`,
      );
    });
}
