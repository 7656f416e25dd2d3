// `shorten info | convert | generate | eval ppl`: the commands that load one model and use it.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointFormat } from '../formats/load.js';
import { perplexity, perplexitySegments } from '../eval/perplexity.js';
import type { BosMode } from '../eval/perplexity.js';
import { castMatrices, MATRIX_DTYPES } from '../model/cast.js';
import type { MatrixDtype } from '../model/cast.js';
import { generate } from '../model/generate.js';
import { describeModel, formatModelInfo } from '../model/describe.js';
import { inferenceOf, openModel } from '../pipeline/open-model.js';
import { saveModelWithTokenizer } from '../pipeline/save-model.js';
import { describeStartToken, promptIds, sequenceStartToken } from '../text/tokenizer.js';
import { intOption, numberOption, UsageError } from './options.js';

export function registerModelCommands(program: Command, evalCmd: Command): void {
  program
    .command('info')
    .description("Print a checkpoint's architecture, parameter count, dtypes and blocks")
    .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  npx shorten info stories260K.gguf')
    .action((model: string, opts: { json?: boolean }) => {
      const m = openModel(model, {});
      const info = describeModel(m.weights, m.format, m.source);
      process.stdout.write(opts.json ? JSON.stringify(info) + '\n' : formatModelInfo(info));
    });

  program
    .command('convert')
    .description('Write a checkpoint in another format (HF folder, GGUF, llama2.c)')
    .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
    .requiredOption('--to <format>', 'hf | gguf | llama2c')
    .requiredOption('--out <path>', 'output folder (hf) or file')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint (tok*.bin or tokenizer.json)')
    .option('--dtype <type>', `matrix dtype of the output: ${MATRIX_DTYPES.join(' | ')} (default: as stored)`)
    .addHelpText(
      'after',
      '\nExamples:\n  npx shorten convert stories260K.bin --tokenizer tok512.bin --to hf --out stories260K-hf' +
        '\n  npx shorten convert models/default --to gguf --dtype f16 --out default-f16.gguf',
    )
    .action((model: string, opts: { to: string; out: string; tokenizer?: string; dtype?: string }) => {
      if (!['hf', 'gguf', 'llama2c'].includes(opts.to))
        throw new UsageError(`--to must be hf, gguf or llama2c (got '${opts.to}')`);
      if (opts.dtype !== undefined && !(MATRIX_DTYPES as readonly string[]).includes(opts.dtype))
        throw new UsageError(`--dtype must be one of ${MATRIX_DTYPES.join(', ')} (got '${opts.dtype}')`);
      const m = openModel(model, { tokenizer: opts.tokenizer });
      const weights = opts.dtype ? castMatrices(m.weights, opts.dtype as MatrixDtype) : m.weights;
      saveModelWithTokenizer(weights, m.tokenizer, opts.out, opts.to as CheckpointFormat, {
        llama2cRopeTables: m.llama2cRopeTables,
        from: m,
      });
      process.stderr.write(`wrote ${opts.to} to ${opts.out}\n`);
    });

  program
    .command('generate')
    .description('Continue a prompt with the model (greedy or sampled), using a KV cache')
    .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
    .option(
      '--prompt <text>',
      'the prompt, with BOS first when the tokenizer adds it (default: the start token alone, BOS or else EOS)',
      '',
    )
    .option('--max-new-tokens <n>', 'tokens to generate', '128')
    .option('--greedy', 'always take the most likely token')
    .option('--temperature <t>', 'sampling temperature', '1')
    .option('--top-k <k>', 'keep the k most likely tokens (0: all)', '0')
    .option('--top-p <p>', 'keep the smallest set with this much probability (1: all)', '1')
    .option('--seed <s>', 'random seed', '0')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint')
    .option('--adapter <dir>', 'a PEFT LoRA adapter folder, folded into the weights first')
    .option('--json', 'print JSON with the ids and text')
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten generate model.gguf --prompt "Once upon a time" --greedy --max-new-tokens 64',
    )
    .action((model: string, opts: Record<string, string | boolean | undefined>) => {
      const m = openModel(model, {
        tokenizer: opts.tokenizer as string | undefined,
        adapter: opts.adapter as string | undefined,
      });
      const promptText = String(opts.prompt ?? '');
      const prompt = promptIds(m.tokenizer, promptText);
      const result = generate(inferenceOf(m), [prompt], {
        maxNewTokens: intOption(opts.maxNewTokens, '--max-new-tokens', 1),
        greedy: Boolean(opts.greedy),
        temperature: numberOption(opts.temperature, '--temperature'),
        topK: intOption(opts.topK, '--top-k', 0),
        topP: numberOption(opts.topP, '--top-p'),
        seed: intOption(opts.seed, '--seed', 0),
      });
      const ids = result.tokens[0];
      // The prompt's text and what follows it, without the start token.
      const text = m.tokenizer.decode([...m.tokenizer.encode(promptText), ...ids], { skipSpecial: true });
      process.stdout.write(
        opts.json ? JSON.stringify({ prompt: opts.prompt, ids, text }) + '\n' : text + '\n',
      );
    });

  evalCmd
    .command('ppl')
    .description("Perplexity on a text file, in non-overlapping segments (the paper's protocol)")
    .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
    .requiredOption(
      '--text <file>',
      'a text file, or the preset "wikitext2" (wiki.test.raw under --data-dir)',
    )
    .option('--seq-len <n>', 'tokens per segment', '128')
    .option(
      '--bos <mode>',
      'first: one BOS at the start of the stream; every: a BOS before each segment (EOS where the vocabulary has no BOS)',
      'first',
    )
    .option('--batch <n>', 'segments per forward pass', '8')
    .option('--limit <n>', 'score at most this many segments')
    .option('--data-dir <dir>', 'folder holding the data sets (default: $SHORTEN_DATA)')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint')
    .option('--adapter <dir>', 'a PEFT LoRA adapter folder, folded into the weights first')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  SHORTEN_DATA=data npx shorten eval ppl model.gguf --text wikitext2 --json',
    )
    .action((model: string, opts: Record<string, string | boolean | undefined>) => {
      const bos = String(opts.bos);
      if (bos !== 'first' && bos !== 'every')
        throw new UsageError(`--bos must be first or every (got '${bos}')`);
      const file = resolveTextFile(String(opts.text), opts.dataDir as string | undefined);
      const m = openModel(model, {
        tokenizer: opts.tokenizer as string | undefined,
        adapter: opts.adapter as string | undefined,
      });
      const stream = m.tokenizer.encode(readFileSync(file, 'utf8'));
      const start = sequenceStartToken(m.tokenizer);
      const seqLen = intOption(opts.seqLen, '--seq-len', 2);
      let segments = perplexitySegments(stream, seqLen, bos as BosMode, start.id);
      // A perplexity over no tokens is NaN: refuse it like any other impossible request.
      if (segments.length === 0)
        throw new UsageError(
          `${file}: ${stream.length} tokens make no whole segment of --seq-len ${seqLen} ` +
            `(the last partial segment is dropped); give a longer --text or a smaller --seq-len`,
        );
      if (opts.limit !== undefined) segments = segments.slice(0, intOption(opts.limit, '--limit', 1));
      const quiet = Boolean(opts.json) || !process.stderr.isTTY;
      const result = perplexity(inferenceOf(m), segments, {
        batch: intOption(opts.batch, '--batch', 1),
        onProgress: quiet ? undefined : (d, t) => process.stderr.write(`\rsegments ${d}/${t}`),
      });
      if (!quiet) process.stderr.write('\n');
      const where = bos === 'first' ? 'at the start of the text' : 'before each segment';
      process.stdout.write(
        opts.json
          ? JSON.stringify({ ...result, bos, startToken: start }) + '\n'
          : `ppl ${result.ppl.toFixed(4)} (nll ${result.nll.toFixed(5)}, ${result.tokens} tokens, ${result.segments} segments)\n` +
              `bos ${bos}: ${describeStartToken(start)} ${where}\n`,
      );
    });
}

/** A text path, or a preset name resolved under --data-dir / $SHORTEN_DATA. */
export function resolveTextFile(text: string, dataDir: string | undefined): string {
  const presets: Record<string, string[]> = {
    wikitext2: ['wiki.test.raw', 'wikitext-2-raw/wiki.test.raw', 'text/wiki.test.raw'],
  };
  const names = presets[text];
  if (!names) {
    if (!existsSync(text)) throw new UsageError(`--text: no such file '${text}'`);
    return text;
  }
  const dir = dataDir ?? process.env.SHORTEN_DATA;
  if (!dir) throw new UsageError(`--text ${text}: give the data folder with --data-dir or SHORTEN_DATA`);
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  throw new UsageError(`--text ${text}: none of ${names.join(', ')} under ${dir}`);
}
