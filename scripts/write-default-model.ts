// Assembles models/default from the runs of scripts/train-default-model.sh: copies the final
// model and its tokenizer, joins the training logs, measures held-out perplexity on the fixtures'
// TinyStories validation head (never trained on) and writes the model card.
// Usage: node --import tsx scripts/write-default-model.ts RUN_DIR OUT_DIR
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModel } from '../src/formats/load.js';
import { perplexity, perplexitySegments } from '../src/eval/perplexity.js';
import { f32ToBf16 } from '../src/native/index.js';
import type { ModelWeights, WeightTensor } from '../src/model/weights.js';
import { generate } from '../src/model/generate.js';
import { describeModel } from '../src/model/describe.js';
import { inferenceOf, openModel } from '../src/pipeline/open-model.js';
import { promptIds, sequenceStartToken } from '../src/text/tokenizer.js';

const [runDir, outDir] = process.argv.slice(2);
if (!runDir || !outDir) throw new Error('usage: write-default-model.ts RUN_DIR OUT_DIR');
const phases = ['pretrain', 'cpt'].filter((p) => existsSync(join(runDir, p, 'model.safetensors')));
const final = join(runDir, phases[phases.length - 1]);
const heldOut = new URL('../../shared/fixtures/text/tinystories_validation_head.txt', import.meta.url)
  .pathname;

const tmp = `${outDir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
// Trained in f32, committed in bf16 (as checkpoints ship): half the bytes, under the repo's 20 MB.
const trained = openModel(final);
const bf16: ModelWeights = { ...trained.weights, tensors: new Map<string, WeightTensor>() };
for (const [name, t] of trained.weights.tensors)
  bf16.tensors.set(
    name,
    t.dtype === 'f32' ? { ...t, dtype: 'bf16', data: f32ToBf16(t.data as Float32Array) } : t,
  );
saveModel(bf16, tmp, 'hf', {
  extraFiles: Object.fromEntries(
    ['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, readFileSync(join(final, f), 'utf8')]),
  ),
});
interface LogRow {
  step: number;
  tokens: number;
  loss: number;
  lr: number;
  val_loss?: number;
  tokens_per_s?: number;
}
const logs: (LogRow & { phase: string })[] = [];
for (const p of phases)
  for (const line of readFileSync(join(runDir, p, 'train_log.jsonl'), 'utf8').split('\n'))
    if (line.trim()) logs.push({ phase: p, ...(JSON.parse(line) as LogRow) });
writeFileSync(join(tmp, 'training_log.jsonl'), logs.map((r) => JSON.stringify(r)).join('\n') + '\n');

const m = openModel(tmp);
const runner = inferenceOf(m);
const stream = m.tokenizer.encode(readFileSync(heldOut, 'utf8'));
const segments = perplexitySegments(stream, 256, 'first', sequenceStartToken(m.tokenizer).id);
const ppl = perplexity(runner, segments, { batch: 8 });
const pplF32 = perplexity(inferenceOf(trained), segments, { batch: 8 });
const prompt = promptIds(m.tokenizer, 'Once upon a time');
const greedy = m.tokenizer.decode(generate(runner, [prompt], { maxNewTokens: 120, greedy: true }).tokens[0]);
const sampled = m.tokenizer.decode(
  generate(runner, [prompt], { maxNewTokens: 120, temperature: 0.8, topP: 0.9, seed: 7 }).tokens[0],
);
const info = describeModel(m.weights, m.format, 'models/default');
const c = m.weights.config;
const tokens = phases.map((p) => Math.max(...logs.filter((r) => r.phase === p).map((r) => r.tokens)));
const steps = phases.map((p) => Math.max(...logs.filter((r) => r.phase === p).map((r) => r.step)));
// The run settings in the last checkpoint give the training rows: tokens / (rows × 256) passes.
const lastCkpt = join(final, 'checkpoints', readdirSync(join(final, 'checkpoints')).sort().at(-1) ?? '');
const corpusTokens =
  (JSON.parse(readFileSync(join(lastCkpt, 'state.json'), 'utf8')) as { run: { rows: number } }).run.rows *
  256;
const passes = (tokens.reduce((a, b) => a + b, 0) / corpusTokens).toFixed(2);
const lastVal = [...logs].reverse().find((r) => r.val_loss !== undefined)?.val_loss ?? NaN;
// Time on the machine: each logged step's tokens over its measured tokens/s.
let trainSeconds = 0;
for (const p of phases) {
  let prev = 0;
  for (const r of logs.filter((x) => x.phase === p)) {
    if (r.tokens_per_s) trainSeconds += (r.tokens - prev) / r.tokens_per_s;
    prev = r.tokens;
  }
}
const vals = logs.filter((r) => r.val_loss !== undefined);
const valTable = vals
  .filter((r, i) => i % 2 === 1 || i === vals.length - 1)
  .map((r) => `| ${r.phase} | ${r.step} | ${r.tokens.toLocaleString('en-US')} | ${r.val_loss!.toFixed(4)} |`)
  .join('\n');
const lastDrop = vals.length >= 2 ? vals[vals.length - 2].val_loss! - lastVal : NaN;

const card = `# shorten's default model: a 12-block TinyStories LLaMA

The embedded model that \`npx shorten run\` uses when no model is given: deep enough (12 blocks) for
depth pruning to have something to choose from, small enough (${(info.parameters / 1e6).toFixed(2)} M parameters) to
score, prune, heal and measure in minutes on two CPU cores. Trained from scratch with shorten's own
code (\`shorten tokenizer train\`, ${phases.map((p) => '`shorten ' + p + '`').join(', ')}); reproduce it with
\`bash scripts/train-default-model.sh\` then \`node --import tsx scripts/write-default-model.ts .tmp/default models/default\`.

## Architecture
LLaMA (\`LlamaForCausalLM\`): width ${c.hiddenSize}, ${c.numLayers} blocks, ${c.numHeads} attention heads with
${c.numKvHeads} key/value heads (head dim ${c.headDim}), SiLU-gated MLP of ${c.intermediateSize}, RMSNorm (eps ${c.rmsNormEps}),
rotary embeddings (theta ${c.ropeTheta}), context ${c.maxSeqLen}, tied input/output embeddings, vocabulary ${c.vocabSize}
(a byte-fallback BPE tokenizer trained on the same text). ${info.parameters} parameters, trained in f32 and
stored in bf16 (${((info.parameters * 2) / 1e6).toFixed(1)} MB of weights).

## Data
TinyStories (CDLA-Sharing-1.0): all seven files of \`../shared/corpus/tinystories/\` (12.5 MB,
15,285 stories), with a seeded 96-row validation split of 256-token rows. The fixtures'
\`tinystories_validation_head.txt\` (stories removed from the corpus) was never trained on and is
the held-out text below. The text stays in \`../shared\`; only what our code produced is here.

## Recipe
${phases
  .map(
    (p, i) =>
      `- ${p}: ${steps[i]} optimizer steps, ${tokens[i].toLocaleString('en-US')} tokens (batch 32 × 256 tokens, AdamW β (0.9, 0.95), weight decay 0.1, warmup then cosine decay, gradient clipping 1.0)`,
  )
  .join('\n')}
- Tokens seen in all: ${tokens.reduce((a, b) => a + b, 0).toLocaleString('en-US')} (${passes} passes over the ${corpusTokens.toLocaleString('en-US')} training tokens).
- Final validation loss ${lastVal.toFixed(4)} (perplexity ${Math.exp(lastVal).toFixed(2)}).
- About ${(trainSeconds / 3600).toFixed(1)} hours of training steps on this machine's two shared cores (the sum of each logged step's tokens over its tokens/s).
- ${lastDrop > 0.002 ? `Validation loss was still falling when the cosine schedule ended (${lastDrop.toFixed(4)} lower than at the eval before): a longer run would give a better model; the time budget, not convergence, set the length.` : 'Validation loss had flattened when the schedule ended.'}
- The full loss and learning-rate log: \`training_log.jsonl\`. Validation loss along the way:

| phase | step | tokens | validation loss |
|---|---:|---:|---:|
${valTable}

## Held-out perplexity
${ppl.ppl.toFixed(3)} on \`tinystories_validation_head.txt\` (${ppl.segments} segments of 256 tokens, one BOS at
the start, ${ppl.tokens.toLocaleString('en-US')} predicted tokens), measured with \`shorten eval ppl --seq-len 256\` on
the bf16 weights here (${pplF32.ppl.toFixed(3)} with the f32 weights as trained).

## Samples (from "Once upon a time")
Greedy:
> Once upon a time ${greedy.replace(/\n/g, ' ')}

Temperature 0.8, top-p 0.9, seed 7:
> Once upon a time ${sampled.replace(/\n/g, ' ')}

## Limits
A test bed for depth pruning, not a useful language model: ${info.parameters.toLocaleString('en-US')} parameters trained for
${tokens.reduce((a, b) => a + b, 0).toLocaleString('en-US')} tokens on two shared CPU cores. The samples above show what it writes.
`;
writeFileSync(join(tmp, 'README.md'), card);
rmSync(outDir, { recursive: true, force: true });
renameSync(tmp, outDir);
console.log(
  JSON.stringify({
    out: outDir,
    parameters: info.parameters,
    heldOutPpl: ppl.ppl,
    heldOutPplF32: pplF32.ppl,
    lastValLoss: lastVal,
    tokens,
  }),
);
