// Whether a teacher can distill into a student, checked before anything is trained: logit
// distillation compares next-token distributions, so both must share one vocabulary (same size,
// same token for every id); and the teacher must be a model the student can have been pruned from
// (depth: fewer blocks of the same shape; width, as `prune --method width` does: the same hidden
// width with fewer heads, KV heads or MLP channels), which refuses an unrelated model.
import type { LlamaConfig } from '../model/config.js';
import type { Tokenizer } from '../text/tokenizer.js';

export interface DistillParty {
  /** The path it was read from, for messages. */
  path: string;
  config: LlamaConfig;
  tokenizer: Tokenizer;
}

/** A teacher that cannot distill into this student; the CLI reports it with exit code 1. */
export class TeacherMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TeacherMismatchError';
  }
}

/** `12 blocks, hidden 192, 6 heads / 2 KV heads of 32, MLP 576` */
export function describeShape(c: LlamaConfig): string {
  return (
    `${c.numLayers} blocks, hidden ${c.hiddenSize}, ${c.numHeads} heads / ${c.numKvHeads} KV heads of ${c.headDim}, ` +
    `MLP ${c.intermediateSize}`
  );
}

function checkVocabulary(student: DistillParty, teacher: DistillParty): void {
  const s = student.tokenizer;
  const t = teacher.tokenizer;
  const both = `teacher ${teacher.path} and student ${student.path}`;
  if (student.config.vocabSize !== teacher.config.vocabSize || s.vocabSize !== t.vocabSize)
    throw new TeacherMismatchError(
      `${both} have different vocabularies: the teacher's has ${teacher.config.vocabSize} entries ` +
        `(tokenizer ${t.vocabSize}), the student's ${student.config.vocabSize} (tokenizer ${s.vocabSize}); ` +
        'logit distillation needs the same tokens on both sides',
    );
  for (let id = 0; id < s.vocabSize; id++) {
    const a = t.tokenToPiece(id);
    const b = s.tokenToPiece(id);
    if (a !== b)
      throw new TeacherMismatchError(
        `${both} have different tokenizers: token ${id} is ${JSON.stringify(a)} in the teacher's and ` +
          `${JSON.stringify(b)} in the student's; logit distillation needs the same tokens on both sides`,
      );
  }
  for (const [what, a, b] of [
    ['BOS', t.bosId, s.bosId],
    ['EOS', t.eosId, s.eosId],
  ] as const)
    if (a !== b)
      throw new TeacherMismatchError(
        `${both} have different tokenizers: ${what} is ${a} in the teacher's and ${b} in the student's`,
      );
}

/** The reasons `student` cannot have been pruned from `teacher` (empty when it can). */
export function originMismatches(student: LlamaConfig, teacher: LlamaConfig): string[] {
  const why: string[] = [];
  if (student.architecture !== teacher.architecture)
    why.push(`architecture ${student.architecture} is not the teacher's ${teacher.architecture}`);
  if (student.hiddenSize !== teacher.hiddenSize)
    why.push(`hidden width ${student.hiddenSize} ≠ ${teacher.hiddenSize}`);
  if (student.headDim !== teacher.headDim) why.push(`head size ${student.headDim} ≠ ${teacher.headDim}`);
  if (student.numLayers > teacher.numLayers) why.push(`${student.numLayers} blocks > ${teacher.numLayers}`);
  if (student.numHeads > teacher.numHeads) why.push(`${student.numHeads} heads > ${teacher.numHeads}`);
  if (student.numKvHeads > teacher.numKvHeads)
    why.push(`${student.numKvHeads} KV heads > ${teacher.numKvHeads}`);
  if (student.intermediateSize > teacher.intermediateSize)
    why.push(`MLP ${student.intermediateSize} > ${teacher.intermediateSize}`);
  return why;
}

/** Refuses a teacher with another vocabulary or tokenizer, or one the student cannot come from. */
export function checkTeacher(student: DistillParty, teacher: DistillParty): void {
  checkVocabulary(student, teacher);
  const why = originMismatches(student.config, teacher.config);
  if (why.length > 0)
    throw new TeacherMismatchError(
      `teacher ${teacher.path} cannot be the model student ${student.path} was pruned from: ` +
        `teacher ${describeShape(teacher.config)}; student ${describeShape(student.config)} ` +
        `(${why.join('; ')}). A pruned student keeps the hidden width and head size and has at most ` +
        "the teacher's blocks, heads and MLP channels",
    );
}
