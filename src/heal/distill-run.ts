// `shorten distill`: heal a pruned student by distilling from the model it was pruned from, every
// weight (as `cpt`, written as an HF folder) or into LoRA adapters (as `lora`, a PEFT adapter),
// through the one training loop with the distillation objective. Checks come first: the teacher's
// vocabulary and shapes, then whether both fit in memory; the student's kept blocks share the
// teacher's tensors.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesOf } from '../formats/atomic-write.js';
import { peftLoraConfig, writePeftAdapter } from '../formats/peft-adapter.js';
import { refuseOutputOverInput } from '../formats/output-guard.js';
import { buildModel, trainableParameters } from '../model/llama-forward.js';
import type { LoraAdapter } from '../model/lora-linear.js';
import type { ModelWeights } from '../model/weights.js';
import { elementCount } from '../model/weights.js';
import { saveModelWithTokenizer } from '../pipeline/save-model.js';
import type { TrainingExample } from '../text/packing.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { distillObjective } from './distill-objective.js';
import { createLoraAdapters, loraParameters, loraTargets } from './lora.js';
import type { LoraSettings } from './lora.js';
import { adapterPairs } from './lora-run.js';
import { activationBytes, checkDistillFits } from './memory-fit.js';
import type { AvailableMemory } from './memory-fit.js';
import { saveModelInto, weightsWithTrained } from './model-output.js';
import { TrainingRng } from './rng.js';
import type { RunSettings } from './run-settings.js';
import { checkTeacher } from './teacher-check.js';
import { TeacherCache } from './teacher-cache.js';
import { shareTeacherTensors } from './teacher-sharing.js';
import type { SharedWeights } from './teacher-sharing.js';
import { TeacherTargets } from './teacher-targets.js';
import { defaultValSize, loadTrainingRows, splitValidation } from './training-data.js';
import { trainLoop } from './train-loop.js';
import type { TrainResult } from './train-loop.js';

export interface DistillModel {
  /** Where it was read from, for messages and the run record. */
  path: string;
  weights: ModelWeights;
  tokenizer: Tokenizer;
}

export interface DistillRunSettings extends RunSettings {
  text: string[];
  alpha: number;
  temperature: number;
  /** Keep the teacher's top-K log-probabilities and the rest's mass; undefined: the full vocabulary. */
  topK?: number;
  /** With topK: the cache folder (default <out>/teacher-top<K>); null: no cache. */
  teacherCache?: string | null;
  /** Present: train LoRA adapters on the frozen student instead of every weight. */
  lora?: LoraSettings;
  /** Full-parameter: AdamW β2 and the cosine floor, as `cpt`. */
  beta2: number;
  minLrRatio: number;
  /** What the memory check compares with (tests); default: this machine's available memory. */
  available?: AvailableMemory;
}

export interface DistillResult {
  result: TrainResult;
  /** Full-parameter: the trained student. */
  weights?: ModelWeights;
  /** LoRA: the trained adapters. */
  adapters?: Map<string, LoraAdapter>;
  shared: Omit<SharedWeights, 'weights'>;
  teacherForwards: number;
  cache: { dir: string; hits: number; misses: number } | null;
}

function weightBytes(w: ModelWeights): number {
  let n = 0;
  for (const t of w.tensors.values()) n += t.data.byteLength;
  return n;
}

/** A hash of the teacher (config and every tensor's bytes): names it in the top-K cache. */
function teacherHash(w: ModelWeights): string {
  const h = createHash('sha256').update(JSON.stringify(w.config));
  for (const name of [...w.tensors.keys()].sort()) {
    const t = w.tensors.get(name)!;
    h.update(`${name} ${t.dtype} ${t.shape.join('x')}\n`).update(bytesOf(t.data));
  }
  return h.digest('hex').slice(0, 32);
}

function rowsHash(rows: TrainingExample[]): string {
  const h = createHash('sha256');
  for (const r of rows) h.update(bytesOf(r.ids)).update(bytesOf(r.targets));
  return h.digest('hex').slice(0, 32);
}

function memoryNeeded(shared: SharedWeights, teacher: ModelWeights, s: DistillRunSettings, maxRow: number) {
  const student = shared.weights;
  const tokens = s.microBatch * maxRow;
  const c = teacher.config;
  // Its weights, one micro-batch's logits and activations, and the KV cache of its inference forward.
  const kvCache = 2 * c.numLayers * tokens * c.numKvHeads * c.headDim * 4;
  const teacherBytes =
    weightBytes(teacher) + 4 * tokens * (c.vocabSize + 4 * c.hiddenSize + c.intermediateSize) + kvCache;
  let studentBytes = activationBytes(student.config, tokens);
  if (s.lora) {
    const sharedSet = new Set(teacher.tensors.values());
    for (const t of student.tensors.values()) if (!sharedSet.has(t)) studentBytes += t.data.byteLength;
    for (const name of loraTargets(student.config, s.lora.targetModules)) {
      const [out, inp] = student.tensors.get(name)!.shape;
      studentBytes += 16 * s.lora.r * (out + inp);
    }
  } else for (const t of student.tensors.values()) studentBytes += 16 * elementCount(t.shape);
  return { teacherBytes, studentBytes };
}

export function runDistill(
  student: DistillModel,
  teacher: DistillModel,
  s: DistillRunSettings,
): DistillResult {
  refuseOutputOverInput(s.out, { mapped: true });
  checkTeacher(
    { path: student.path, config: student.weights.config, tokenizer: student.tokenizer },
    { path: teacher.path, config: teacher.weights.config, tokenizer: teacher.tokenizer },
  );
  const shared = shareTeacherTensors(student.weights, teacher.weights);
  const rows = loadTrainingRows(s.text, student.tokenizer, { seqLen: s.seqLen, trainOnInputs: true });
  const maxRow = Math.max(...rows.map((r) => r.ids.length));
  checkDistillFits(
    memoryNeeded(shared, teacher.weights, s, maxRow),
    { teacher: teacher.path, student: student.path },
    s.available,
  );
  const { train, val } = splitValidation(rows, s.valSize ?? defaultValSize(rows.length), s.seed);

  let cache: TeacherCache | null = null;
  if (s.topK !== undefined && s.teacherCache !== null) {
    const dir = s.teacherCache ?? join(s.out, `teacher-top${s.topK}`);
    cache = TeacherCache.open(dir, {
      teacher: teacherHash(teacher.weights),
      data: rowsHash(rows),
      rows: rows.length,
      vocab: teacher.weights.config.vocabSize,
      k: s.topK,
      temperature: s.temperature,
      seqLen: maxRow,
    });
  }
  const targets = new TeacherTargets(teacher.weights, {
    temperature: s.temperature,
    topK: s.topK,
    cache: cache ? { store: cache, rowIndex: new Map(rows.map((r, i) => [r, i])) } : undefined,
  });
  const objective = distillObjective(targets, { alpha: s.alpha, temperature: s.temperature });
  const budget = { epochs: s.epochs, maxSteps: s.maxSteps, maxTokens: s.maxTokens };
  const run = {
    kind: s.lora ? 'distill-lora' : 'distill',
    teacher: { bytes: weightBytes(teacher.weights), config: teacher.weights.config },
    text: s.text.map((f) => ({ file: f, bytes: readFileSync(f).length })),
    rows: rows.length,
    alpha: s.alpha,
    temperature: s.temperature,
    topK: s.topK ?? null,
    seed: s.seed,
    batchSize: s.batchSize,
    microBatch: s.microBatch,
    seqLen: s.seqLen,
    lr: s.lr,
    warmupSteps: s.warmupSteps,
    epochs: s.epochs,
    maxSteps: s.maxSteps ?? null,
    maxTokens: s.maxTokens ?? null,
    weightDecay: s.weightDecay,
    valSize: s.valSize ?? null,
    ...(s.lora ? { adapter: s.lora } : { beta2: s.beta2, minLrRatio: s.minLrRatio }),
  };
  const common = {
    train,
    val,
    batchSize: s.batchSize,
    microBatch: s.microBatch,
    budget,
    lr: s.lr,
    warmupSteps: s.warmupSteps,
    maxGradNorm: s.maxGradNorm,
    seed: s.seed,
    saveEvery: s.saveEvery,
    evalEvery: s.evalEvery,
    outDir: s.out,
    resume: s.resume,
    skipNonfinite: s.skipNonfinite,
    run,
    objective,
    onStep: s.onStep,
    progress: s.progress,
  };
  const { weights: _w, ...sharing } = shared;
  void _w;
  const done = (result: TrainResult, extra: Partial<DistillResult>): DistillResult => ({
    result,
    shared: sharing,
    teacherForwards: targets.forwards,
    cache: cache ? { dir: cache.dir, hits: cache.hits, misses: cache.misses } : null,
    ...extra,
  });
  try {
    return s.lora ? trainLora(s.lora) : trainFull();
  } finally {
    cache?.close();
  }

  function trainLora(lora: LoraSettings): DistillResult {
    const base = shared.weights;
    const model = buildModel(base);
    const adapters = createLoraAdapters(
      base,
      loraTargets(base.config, lora.targetModules),
      lora,
      new TrainingRng(s.seed ^ 0x10ba),
    );
    model.lora = adapters;
    const config = peftLoraConfig({
      base: student.path,
      r: lora.r,
      alpha: lora.alpha,
      dropout: lora.dropout,
      targetModules: lora.targetModules,
    });
    const result = trainLoop({
      ...common,
      model,
      params: loraParameters(adapters),
      decay: 'linear',
      adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: s.weightDecay },
      dropout: lora.dropout > 0,
      exportBest: (dir) => writePeftAdapter(dir, config, adapterPairs(adapters)),
    });
    writePeftAdapter(s.out, config, adapterPairs(adapters));
    return done(result, { adapters });
  }

  function trainFull(): DistillResult {
    const model = buildModel(shared.weights, { kind: 'f32', trainable: () => true });
    const params = trainableParameters(model);
    const result = trainLoop({
      ...common,
      model,
      params,
      decay: 'cosine',
      minLrRatio: s.minLrRatio,
      adam: {
        beta1: 0.9,
        beta2: s.beta2,
        eps: 1e-8,
        weightDecay: s.weightDecay,
        noDecay: (n) => n.endsWith('norm.weight') || n.endsWith('.bias'),
      },
      dropout: false,
      exportBest: (dir) =>
        saveModelWithTokenizer(weightsWithTrained(student.weights, params), student.tokenizer, dir, 'hf'),
    });
    const trained = weightsWithTrained(student.weights, params);
    saveModelInto(s.out, trained, student.tokenizer);
    return done(result, { weights: trained });
  }
}
