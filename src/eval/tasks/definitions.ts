// The seven zero-shot tasks of the paper: where each one's rows live, how a row becomes a
// multiple-choice question, and which metric the paper reports for it.

export type TaskName =
  'boolq' | 'piqa' | 'hellaswag' | 'winogrande' | 'arc_easy' | 'arc_challenge' | 'openbookqa';

export type ReportedMetric = 'acc' | 'acc_norm';

export interface TaskDefinition {
  name: TaskName;
  /** File name under the data folder (a `.gz` name is gunzipped). */
  file: string;
  /** What the paper's table reports for this task. */
  metric: ReportedMetric;
  /** query/choices/gold rows, or WinoGrande's context_options/continuation/gold (partial scoring). */
  shape: 'choices' | 'partial';
}

export const TASKS: readonly TaskDefinition[] = [
  { name: 'boolq', file: 'boolq.jsonl', metric: 'acc', shape: 'choices' },
  { name: 'piqa', file: 'piqa.jsonl', metric: 'acc', shape: 'choices' },
  { name: 'hellaswag', file: 'hellaswag_val.jsonl.gz', metric: 'acc_norm', shape: 'choices' },
  { name: 'winogrande', file: 'winogrande.jsonl', metric: 'acc', shape: 'partial' },
  { name: 'arc_easy', file: 'arc_easy.jsonl', metric: 'acc', shape: 'choices' },
  { name: 'arc_challenge', file: 'arc_challenge.jsonl', metric: 'acc_norm', shape: 'choices' },
  { name: 'openbookqa', file: 'openbook_qa.jsonl', metric: 'acc_norm', shape: 'choices' },
];

/** Parses `all` or a comma-separated list of task names; throws naming the unknown one. */
export function parseTaskList(spec: string): TaskDefinition[] {
  if (spec.trim() === 'all') return [...TASKS];
  const out: TaskDefinition[] = [];
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    const t = TASKS.find((d) => d.name === name);
    if (!t)
      throw new RangeError(
        `unknown task '${name}' (expected all or some of ${TASKS.map((d) => d.name).join(', ')})`,
      );
    if (!out.includes(t)) out.push(t);
  }
  if (out.length === 0) throw new RangeError('no task given');
  return out;
}
