// `shorten lora | cpt | pretrain | merge`: healing a pruned model (`shorten distill` in
// distill-command.ts shares the training flags defined here).
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromHfJson } from '../formats/hf-config.js';
import type { CheckpointFormat } from '../formats/load.js';
import { runFullTraining } from '../heal/full-run.js';
import type { FullRunSettings } from '../heal/full-run.js';
import { runLora } from '../heal/lora-run.js';
import type { LoraRunSettings } from '../heal/lora-run.js';
import { PAPER_TARGET_MODULES } from '../heal/lora.js';
import { randomLlamaWeights } from '../heal/random-init.js';
import { CPT_DEFAULTS, LORA_DEFAULTS } from '../heal/run-settings.js';
import type { RunSettings } from '../heal/run-settings.js';
import type { TrainResult } from '../heal/train-loop.js';
import { applyAdapter } from '../pipeline/apply-adapter.js';
import { loadTokenizerFile, openModel } from '../pipeline/open-model.js';
import { saveModelWithTokenizer } from '../pipeline/save-model.js';
import { registerDistillCommand } from './distill-command.js';
import { intOption, numberOption, UsageError } from './options.js';

export type Opts = Record<string, string | boolean | undefined>;

export function addTrainingOptions(
  cmd: Command,
  d: typeof LORA_DEFAULTS | typeof CPT_DEFAULTS,
  seqFlag: string,
): Command {
  return cmd
    .requiredOption('--out <dir>', 'run folder: the result, checkpoints/, train_log.jsonl, best/')
    .option('--epochs <n>', 'passes over the training rows (may be fractional)', String(d.epochs))
    .option('--max-steps <n>', 'stop after this many optimizer steps')
    .option('--max-tokens <n>', 'stop once this many tokens were trained on')
    .option('--batch-size <n>', 'rows per optimizer step', String(d.batchSize))
    .option(
      '--micro-batch <n>',
      'rows per forward pass (gradient accumulation makes up the batch)',
      String(d.microBatch),
    )
    .option(seqFlag, 'tokens per row', String(d.seqLen))
    .option('--lr <x>', 'peak learning rate', String(d.lr))
    .option('--warmup-steps <n>', 'linear warmup steps', String(d.warmupSteps))
    .option('--weight-decay <x>', 'AdamW decoupled weight decay', String(d.weightDecay))
    .option('--max-grad-norm <x>', 'clip the global gradient norm (0: off)', String(d.maxGradNorm))
    .option('--val-size <n>', 'validation rows (default: 2000, or 10% of a small set)')
    .option('--eval-every <n>', 'validation loss every N steps', String(d.evalEvery))
    .option('--save-every <n>', 'checkpoint every N steps', String(d.saveEvery))
    .option('--seed <n>', 'seed of data order, dropout and initialization', '42')
    .option('--resume <dir>', 'continue a killed run from its run folder or a checkpoint folder')
    .option('--skip-nonfinite', 'skip steps whose loss or gradient is NaN/Inf instead of stopping')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint')
    .option('--json', 'print a JSON summary on stdout (no progress line)');
}

export function runSettings(o: Opts, seqLen: string | boolean | undefined): RunSettings {
  const opt = (v: string | boolean | undefined, flag: string, min: number): number | undefined =>
    v === undefined ? undefined : intOption(v, flag, min);
  const epochs = numberOption(o.epochs, '--epochs');
  if (!(epochs > 0)) throw new UsageError(`--epochs must be positive (got ${epochs})`);
  const batchSize = intOption(o.batchSize, '--batch-size', 1);
  const microBatch = Math.min(batchSize, intOption(o.microBatch, '--micro-batch', 1));
  if (batchSize % microBatch !== 0)
    throw new UsageError(`--batch-size ${batchSize} must be a multiple of --micro-batch ${microBatch}`);
  return {
    out: String(o.out),
    epochs,
    maxSteps: opt(o.maxSteps, '--max-steps', 1),
    maxTokens: opt(o.maxTokens, '--max-tokens', 1),
    batchSize,
    microBatch,
    seqLen: intOption(seqLen, '--seq-len', 2),
    lr: numberOption(o.lr, '--lr'),
    warmupSteps: intOption(o.warmupSteps, '--warmup-steps', 0),
    weightDecay: numberOption(o.weightDecay, '--weight-decay'),
    maxGradNorm: numberOption(o.maxGradNorm, '--max-grad-norm'),
    valSize: opt(o.valSize, '--val-size', 0),
    evalEvery: intOption(o.evalEvery, '--eval-every', 0),
    saveEvery: intOption(o.saveEvery, '--save-every', 0),
    seed: intOption(o.seed, '--seed', 0),
    resume: o.resume as string | undefined,
    skipNonfinite: Boolean(o.skipNonfinite),
    progress: !o.json && Boolean(process.stderr.isTTY),
  };
}

export function summary(kind: string, out: string, r: TrainResult): Record<string, unknown> {
  const last = r.records[r.records.length - 1];
  return {
    kind,
    out,
    steps: r.steps,
    tokens: r.tokens,
    final_loss: last?.loss ?? null,
    first_val_loss: r.firstValLoss,
    last_val_loss: r.lastValLoss,
    best_val_loss: r.bestValLoss,
  };
}

export function report(o: Opts, s: Record<string, unknown>): void {
  if (o.json) process.stdout.write(JSON.stringify(s) + '\n');
  else
    process.stdout.write(
      Object.entries(s)
        .map(([k, v]) => `${k}: ${typeof v === 'number' ? +v.toPrecision(6) : String(v)}`)
        .join('\n') + '\n',
    );
}

function loraSettings(o: Opts, data: string[], base: string, run: RunSettings): LoraRunSettings {
  const targets = String(o.targetModules)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const dropout = numberOption(o.loraDropout, '--lora-dropout');
  if (!(dropout >= 0 && dropout < 1))
    throw new UsageError(`--lora-dropout must be in [0, 1) (got ${dropout})`);
  return {
    ...run,
    data,
    base,
    r: intOption(o.rank, '--rank', 1),
    alpha: numberOption(o.alpha, '--alpha'),
    dropout,
    targetModules: targets,
    trainOnInputs: Boolean(o.trainOnInputs),
  };
}

function fullSettings(o: Opts, text: string[], kind: 'cpt' | 'pretrain', run: RunSettings): FullRunSettings {
  return {
    ...run,
    text,
    kind,
    beta2: numberOption(o.beta2, '--beta2'),
    minLrRatio: numberOption(o.minLrRatio, '--min-lr-ratio'),
  };
}

export function addFullOptions(cmd: Command): Command {
  return cmd
    .option('--beta2 <x>', 'AdamW β2 (β1 is 0.9)', String(CPT_DEFAULTS.beta2))
    .option('--min-lr-ratio <x>', 'the cosine floor as a fraction of the peak learning rate', '0.1');
}

export function registerHealCommands(program: Command): void {
  registerDistillCommand(program);

  addTrainingOptions(
    program
      .command('lora')
      .description(
        'Heal a model with LoRA on instruction data (Alpaca JSON/JSONL) or plain text; saves a PEFT adapter',
      )
      .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
      .requiredOption('--data <files...>', 'Alpaca-shaped .json/.jsonl, or plain text files (packed)')
      .option('--rank <r>', 'LoRA rank', String(LORA_DEFAULTS.r))
      .option('--alpha <a>', 'LoRA alpha (the branch is scaled by alpha/r)', String(LORA_DEFAULTS.alpha))
      .option('--lora-dropout <p>', 'dropout on the LoRA branch input', String(LORA_DEFAULTS.dropout))
      .option('--target-modules <list>', 'comma-separated Linears to wrap', PAPER_TARGET_MODULES.join(','))
      .option('--train-on-inputs', 'score the prompt tokens too'),
    LORA_DEFAULTS,
    '--cutoff <n>',
  )
    .addHelpText('after', '\nExample:\n  npx shorten lora pruned-hf --data alpaca_data.json --out lora-run')
    .action((model: string, o: Opts) => {
      const run = runSettings(o, o.cutoff);
      const m = openModel(model, { tokenizer: o.tokenizer as string | undefined });
      const { result } = runLora(
        m.weights,
        m.tokenizer,
        loraSettings(o, o.data as unknown as string[], model, run),
      );
      report(o, summary('lora', run.out, result));
    });

  addFullOptions(
    addTrainingOptions(
      program
        .command('cpt')
        .description('Continued pretraining: every weight trained on plain text packed into --seq-len rows')
        .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
        .requiredOption('--text <files...>', 'plain text files (documents at blank lines or <|endoftext|>)')
        .option(
          '--then-lora <data...>',
          "LoRA afterwards on this data (the paper's CPT⇒LoRA), into <out>/lora",
        )
        .option('--lora-max-steps <n>', 'with --then-lora: the LoRA phase stops after N steps')
        .option(
          '--lora-max-tokens <n>',
          'with --then-lora: the LoRA phase stops after N tokens (default: the CPT budget again)',
        ),
      CPT_DEFAULTS,
      '--seq-len <n>',
    ),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten cpt pruned-hf --text stories.txt --out cpt-run --max-steps 500',
    )
    .action((model: string, o: Opts) => {
      const run = runSettings(o, o.seqLen);
      const m = openModel(model, { tokenizer: o.tokenizer as string | undefined });
      const cpt = runFullTraining(
        m.weights,
        m.tokenizer,
        fullSettings(o, o.text as unknown as string[], 'cpt', run),
      );
      const out: Record<string, unknown>[] = [summary('cpt', run.out, cpt.result)];
      if (o.thenLora) {
        const loraOut = join(run.out, 'lora');
        const limit = (v: string | boolean | undefined, flag: string, inherited: number | undefined) =>
          v === undefined ? inherited : intOption(v, flag, 1);
        const loraRun: RunSettings = {
          ...run,
          out: loraOut,
          maxSteps: limit(o.loraMaxSteps, '--lora-max-steps', run.maxSteps),
          maxTokens: limit(o.loraMaxTokens, '--lora-max-tokens', run.maxTokens),
          // A resumed CPT⇒LoRA run resumes its LoRA phase too, once that phase has a checkpoint.
          resume: run.resume && existsSync(join(loraOut, 'checkpoints')) ? loraOut : undefined,
          lr: LORA_DEFAULTS.lr,
          epochs: LORA_DEFAULTS.epochs,
          weightDecay: LORA_DEFAULTS.weightDecay,
          warmupSteps: LORA_DEFAULTS.warmupSteps,
          batchSize: LORA_DEFAULTS.batchSize,
          microBatch: Math.min(run.microBatch, LORA_DEFAULTS.batchSize),
          seqLen: LORA_DEFAULTS.seqLen,
        };
        const defaults: Opts = {
          rank: String(LORA_DEFAULTS.r),
          alpha: String(LORA_DEFAULTS.alpha),
          loraDropout: String(LORA_DEFAULTS.dropout),
          targetModules: PAPER_TARGET_MODULES.join(','),
        };
        const { result } = runLora(
          cpt.weights,
          m.tokenizer,
          loraSettings(defaults, o.thenLora as unknown as string[], run.out, loraRun),
        );
        out.push(summary('lora', loraOut, result));
      }
      for (const s of out) report(o, s);
    });

  addFullOptions(
    addTrainingOptions(
      program
        .command('pretrain')
        .description('Train a LLaMA from a random initialization (normal, std 0.02) on plain text')
        .requiredOption('--config <file>', 'a Hugging Face config.json describing the model')
        .requiredOption('--text <files...>', 'plain text files'),
      { ...CPT_DEFAULTS, lr: 1e-3 },
      '--seq-len <n>',
    ),
  )
    .addHelpText(
      'after',
      '\nExample:\n  npx shorten pretrain --config tiny.json --tokenizer tok512.bin --text stories.txt --out scratch-run',
    )
    .action((o: Opts) => {
      if (!o.tokenizer) throw new UsageError('pretrain needs --tokenizer (tokenizer.json or tok*.bin)');
      const run = runSettings(o, o.seqLen);
      const file = String(o.config);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new UsageError(`--config ${file}: ${(e as Error).message}`);
      }
      const config = configFromHfJson(raw, file);
      const tokenizer = loadTokenizerFile(String(o.tokenizer), config.vocabSize);
      const weights = randomLlamaWeights(config, run.seed);
      const r = runFullTraining(
        weights,
        tokenizer,
        fullSettings(o, o.text as unknown as string[], 'pretrain', run),
      );
      report(o, summary('pretrain', run.out, r.result));
    });

  program
    .command('merge')
    .description('Fold a PEFT LoRA adapter into the model weights (W + alpha/r · B·A)')
    .argument('<model>', 'HF folder, GGUF file or llama2.c .bin')
    .argument('<adapter>', 'a PEFT adapter folder (adapter_config.json, adapter_model.safetensors)')
    .requiredOption('--out <path>', 'output folder (hf) or file')
    .option('--to <format>', 'hf | gguf | llama2c', 'hf')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c checkpoint')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText('after', '\nExample:\n  npx shorten merge pruned-hf lora-run --out healed-hf')
    .action((model: string, adapterDir: string, o: Opts) => {
      const to = String(o.to);
      if (!['hf', 'gguf', 'llama2c'].includes(to))
        throw new UsageError(`--to must be hf, gguf or llama2c (got '${to}')`);
      const m = openModel(model, { tokenizer: o.tokenizer as string | undefined });
      const merged = applyAdapter(m, adapterDir);
      saveModelWithTokenizer(merged.weights, m.tokenizer, String(o.out), to as CheckpointFormat);
      if (o.json)
        process.stdout.write(
          JSON.stringify({
            model,
            adapter: adapterDir,
            adapted_linears: merged.adaptedLinears,
            out: String(o.out),
            format: to,
          }) + '\n',
        );
      else
        process.stderr.write(
          `merged ${merged.adaptedLinears} adapted Linears; wrote ${to} to ${String(o.out)}\n`,
        );
    });
}
