// The settings of `shorten run`: one schema for the config file (YAML or JSON) and the flags, so a
// wrong field gets a message naming it and what is allowed; flags override the file.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const intList = z
  .union([
    z.array(positiveInt).min(1),
    z.string().regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'expected a comma-separated list of positive integers'),
  ])
  .transform((v) => (typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : v))
  .refine((v) => v.every((n) => n >= 1), 'expected positive integers');
const scoreCriterion = z.enum(['taylor', 'ppl', 'magnitude', 'bi']);
const criterionList = z
  .union([z.array(scoreCriterion), z.string()])
  .transform((v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  )
  .pipe(z.array(scoreCriterion));
const fileList = z
  .union([z.array(z.string().min(1)).min(1), z.string().min(1)])
  .transform((v) => (typeof v === 'string' ? [v] : v));

/** Every field a config file may hold: the long flag names of `shorten run`. */
export const RUN_CONFIG_SCHEMA = z.strictObject({
  model: z.string().min(1).optional(),
  out: z.string().min(1).default('shorten-run'),
  tokenizer: z.string().min(1).optional(),
  calib: z.string().min(1).default('self'),
  'calib-samples': positiveInt.default(10),
  'seq-len': z.number().int().min(8).default(128),
  seed: nonNegativeInt.default(1234),
  'eval-text': z.string().min(1).optional(),
  'eval-samples': positiveInt.default(16),
  'heal-samples': positiveInt.default(512),
  criterion: scoreCriterion.default('taylor'),
  compare: criterionList.default(['ppl', 'magnitude']),
  remove: z
    .union([
      z.string().regex(/^(\d+(\.\d+)?%|\d+)$/, 'expected a percentage like 20% or a block count'),
      positiveInt,
    ])
    .transform(String)
    .default('20%'),
  'protect-first': nonNegativeInt.default(4),
  'protect-last': nonNegativeInt.default(2),
  heal: z.enum(['lora', 'cpt', 'none', 'kd']).default('lora'),
  'heal-data': fileList.optional(),
  'heal-steps': positiveInt.default(60),
  'heal-batch': positiveInt.default(8),
  'heal-micro-batch': positiveInt.default(4),
  'heal-lr': z.number().positive().optional(),
  'lora-rank': positiveInt.default(8),
  'lora-alpha': z.number().positive().default(16),
  'data-dir': z.string().min(1).optional(),
  tasks: z.string().min(1).default('all'),
  'zeroshot-limit': positiveInt.default(100),
  'zeroshot-bos': z.enum(['auto', 'never', 'always']).default('auto'),
  'bench-batch-sizes': intList.default([1, 4, 16]),
  'bench-new-tokens': positiveInt.default(32),
  'bench-budget': z.number().min(0).default(20),
  'bench-precision': z.number().gt(0).lt(1).default(0.05),
  'bench-warmup': nonNegativeInt.default(1),
});

export type RunConfig = z.output<typeof RUN_CONFIG_SCHEMA>;
export const RUN_CONFIG_FIELDS = Object.keys(RUN_CONFIG_SCHEMA.shape);

/** A config or flag that does not fit the schema; the CLI turns it into exit code 2. */
export class RunConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunConfigError';
  }
}

function describeIssues(source: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys')
        return `${source}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
          .map((k) => `'${k}'`)
          .join(', ')} (allowed: ${RUN_CONFIG_FIELDS.join(', ')})`;
      const field = issue.path.join('.') || '(top level)';
      return `${source}: field '${field}': ${issue.message}`;
    })
    .join('; ');
}

/** Reads a YAML (.yaml/.yml) or JSON file into a plain object; nothing is validated yet. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RunConfigError(`${file}: cannot read the config file (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new RunConfigError(
      `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new RunConfigError(`${file}: expected a mapping of field names to values at the top level`);
  return raw as Record<string, unknown>;
}

/** Checks the file's fields on their own (so the message names the file), then with the flags on top. */
export function resolveRunConfig(
  file: Record<string, unknown>,
  fileName: string | null,
  flags: Record<string, unknown>,
): RunConfig {
  if (fileName) {
    const own = RUN_CONFIG_SCHEMA.safeParse(file);
    if (!own.success) throw new RunConfigError(describeIssues(fileName, own.error));
  }
  const merged = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const r = RUN_CONFIG_SCHEMA.safeParse(merged);
  if (!r.success) throw new RunConfigError(describeIssues('shorten run', r.error));
  return r.data;
}

/** Fields whose flag text is a number (commander hands every flag over as a string). */
export const NUMERIC_FIELDS = new Set([
  'calib-samples',
  'seq-len',
  'seed',
  'eval-samples',
  'heal-samples',
  'protect-first',
  'protect-last',
  'heal-steps',
  'heal-batch',
  'heal-micro-batch',
  'heal-lr',
  'lora-rank',
  'lora-alpha',
  'zeroshot-limit',
  'bench-new-tokens',
  'bench-budget',
  'bench-precision',
  'bench-warmup',
]);

/** A flag's text as the schema expects it: numbers for numeric fields (left as text when not one). */
export function flagValue(field: string, text: string): unknown {
  if (!NUMERIC_FIELDS.has(field)) return text;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}
