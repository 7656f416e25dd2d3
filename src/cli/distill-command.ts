// `shorten distill`: heal a pruned student from the model it was pruned from, every weight or into
// LoRA adapters, with the training flags `cpt` and `lora` share.
import type { Command } from 'commander';
import { runDistill } from '../heal/distill-run.js';
import type { DistillRunSettings } from '../heal/distill-run.js';
import { PAPER_TARGET_MODULES } from '../heal/lora.js';
import type { LoraSettings } from '../heal/lora.js';
import { CPT_DEFAULTS, LORA_DEFAULTS } from '../heal/run-settings.js';
import { openModel } from '../pipeline/open-model.js';
import { addFullOptions, addTrainingOptions, report, runSettings, summary } from './heal-commands.js';
import type { Opts } from './heal-commands.js';
import { intOption, numberOption, UsageError } from './options.js';

function loraOf(o: Opts): LoraSettings {
  const dropout = numberOption(o.loraDropout, '--lora-dropout');
  if (!(dropout >= 0 && dropout < 1))
    throw new UsageError(`--lora-dropout must be in [0, 1) (got ${dropout})`);
  return {
    r: intOption(o.rank, '--rank', 1),
    alpha: numberOption(o.loraAlpha, '--lora-alpha'),
    dropout,
    targetModules: String(o.targetModules)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

export function registerDistillCommand(program: Command): void {
  const cmd = addFullOptions(
    addTrainingOptions(
      program
        .command('distill')
        .description(
          'Heal a pruned model by distilling from the model it was pruned from: ' +
            'alpha · T² · KL(teacher ‖ student) + (1 − alpha) · CE on plain text',
        )
        .argument('<student>', 'the pruned model: HF folder, GGUF file or llama2.c .bin')
        .requiredOption('--teacher <model>', 'the model the student was pruned from (same vocabulary)')
        .requiredOption('--text <files...>', 'plain text files (documents at blank lines or <|endoftext|>)')
        .option('--alpha <a>', 'weight of the KL term; 1 − alpha goes to cross-entropy on the text', '1')
        .option(
          '--temperature <t>',
          'softmax temperature of both distributions (the KL is scaled by T²)',
          '1',
        )
        .option(
          '--top-k <k>',
          "keep the teacher's K most likely tokens per position and the rest's mass as one bucket",
        )
        .option(
          '--teacher-cache <dir>',
          'with --top-k: cache folder of the teacher (default <out>/teacher-top<K>)',
        )
        .option('--no-teacher-cache', 'with --top-k: compute the teacher every step, keep nothing on disk')
        .option('--teacher-tokenizer <path>', "tokenizer for a llama2.c teacher's checkpoint")
        .option(
          '--lora',
          'train LoRA adapters on the frozen student (a PEFT adapter) instead of every weight',
        )
        .option('--rank <r>', 'with --lora: LoRA rank', String(LORA_DEFAULTS.r))
        .option(
          '--lora-alpha <a>',
          'with --lora: the branch is scaled by lora-alpha/r',
          String(LORA_DEFAULTS.alpha),
        )
        .option(
          '--lora-dropout <p>',
          'with --lora: dropout on the branch input',
          String(LORA_DEFAULTS.dropout),
        )
        .option(
          '--target-modules <list>',
          'with --lora: comma-separated Linears to wrap',
          PAPER_TARGET_MODULES.join(','),
        ),
      CPT_DEFAULTS,
      '--seq-len <n>',
    ),
  );
  cmd
    .addHelpText(
      'after',
      '\nWith --lora the weight decay defaults to 0 (as `lora`), the schedule is linear and AdamW β2 is 0.999;\n' +
        'without it, as `cpt`: weight decay 0.1, cosine schedule, β2 --beta2.\n' +
        '\nExamples:\n  npx shorten distill pruned-hf --teacher original-hf --text stories.txt --out kd-run --max-steps 200\n' +
        '  npx shorten distill pruned-hf --teacher original-hf --text stories.txt --out kd-lora --lora --top-k 64',
    )
    .action((student: string, o: Opts) => {
      const run = runSettings(o, o.seqLen);
      const lora = o.lora ? loraOf(o) : undefined;
      if (lora && cmd.getOptionValueSource('weightDecay') === 'default')
        run.weightDecay = LORA_DEFAULTS.weightDecay;
      const topK = o.topK === undefined ? undefined : intOption(o.topK, '--top-k', 1);
      if (o.teacherCache !== undefined && typeof o.teacherCache === 'string' && topK === undefined)
        throw new UsageError('--teacher-cache needs --top-k (only top-K teacher outputs are cached)');
      const s: DistillRunSettings = {
        ...run,
        text: o.text as unknown as string[],
        alpha: numberOption(o.alpha, '--alpha'),
        temperature: numberOption(o.temperature, '--temperature'),
        topK,
        teacherCache: o.teacherCache === false ? null : (o.teacherCache as string | undefined),
        lora,
        beta2: numberOption(o.beta2, '--beta2'),
        minLrRatio: numberOption(o.minLrRatio, '--min-lr-ratio'),
      };
      if (!(s.alpha >= 0 && s.alpha <= 1))
        throw new UsageError(`--alpha must lie in [0, 1] (got ${s.alpha})`);
      if (!(s.temperature > 0)) throw new UsageError(`--temperature must be positive (got ${s.temperature})`);
      const studentModel = openModel(student, { tokenizer: o.tokenizer as string | undefined });
      const teacherPath = String(o.teacher);
      const teacher = openModel(teacherPath, { tokenizer: o.teacherTokenizer as string | undefined });
      const r = runDistill(
        { path: student, weights: studentModel.weights, tokenizer: studentModel.tokenizer },
        { path: teacherPath, weights: teacher.weights, tokenizer: teacher.tokenizer },
        s,
      );
      const last = r.result.records[r.result.records.length - 1];
      report(o, {
        ...summary(lora ? 'distill-lora' : 'distill', run.out, r.result),
        final_kl: last?.kl ?? null,
        final_ce: last?.ce ?? null,
        last_val_kl: [...r.result.records].reverse().find((x) => x.val_kl !== undefined)?.val_kl ?? null,
        shared_tensors: r.shared.sharedTensors,
        shared_bytes: r.shared.sharedBytes,
        teacher_forwards: r.teacherForwards,
        ...(r.cache ? { cache: r.cache.dir, cache_hits: r.cache.hits, cache_misses: r.cache.misses } : {}),
      });
    });
}
