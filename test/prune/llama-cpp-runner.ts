// llama.cpp, through the npm package node-llama-cpp, for the opt-in interop tests: installed once
// into a temporary folder (or found at SHORTEN_NODE_LLAMA_CPP_DIR), then run as a child process to
// continue a prompt greedily or to score token segments from llama.cpp's raw logits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INTEROP_SKIP =
  process.env.SHORTEN_INTEROP !== '1' && 'set SHORTEN_INTEROP=1 (installs node-llama-cpp from npm)';

const GREEDY = `
import { getLlama } from 'node-llama-cpp';
const [modelPath, promptJson, n] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 256 });
const out = [];
for await (const t of context.getSequence().evaluate(JSON.parse(promptJson), { temperature: 0 })) {
  out.push(t);
  if (out.length >= Number(n)) break;
}
console.log(JSON.stringify(out));
await context.dispose();
await model.dispose();
await llama.dispose();
`;

// Each segment on its own (fresh history), every position's raw logits, NLL summed in float64.
const SCORE = `
import { readFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';
const [modelPath, segmentsPath] = process.argv.slice(2);
const segments = JSON.parse(readFileSync(segmentsPath, 'utf8'));
const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: Math.max(...segments.map((s) => s.length)), flashAttention: false });
const sequence = context.getSequence();
let nll = 0, count = 0;
for (const seg of segments) {
  await sequence.clearHistory();
  const input = seg.map((t, i) => (i < seg.length - 1 ? [t, { generateNext: { logits: true } }] : t));
  const out = await sequence.controlledEvaluate(input);
  for (let i = 0; i < seg.length - 1; i++) {
    const logits = out[i].next.logits;
    let max = -Infinity;
    for (const v of logits.values()) if (v > max) max = v;
    let sum = 0;
    for (const v of logits.values()) sum += Math.exp(v - max);
    nll += Math.log(sum) + max - logits.get(seg[i + 1]);
    count++;
  }
}
console.log(JSON.stringify({ nll: nll / count, tokens: count }));
await context.dispose();
await model.dispose();
await llama.dispose();
`;

let installed: string | null = null;

/** The folder holding node_modules/node-llama-cpp, installing it the first time. */
function packageDir(): string {
  if (installed) return installed;
  let dir = process.env.SHORTEN_NODE_LLAMA_CPP_DIR;
  if (!dir) {
    dir = join(mkdtempSync(join(tmpdir(), 'shorten-interop-')), 'llama');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"interop","private":true,"type":"module"}');
    const npm = spawnSync('npm', ['install', 'node-llama-cpp@3', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(npm.status, 0, `npm install node-llama-cpp failed: ${npm.stderr.slice(-2000)}`);
  }
  writeFileSync(join(dir, 'shorten-greedy.mjs'), GREEDY);
  writeFileSync(join(dir, 'shorten-score.mjs'), SCORE);
  installed = dir;
  return dir;
}

function run(script: string, args: string[]): string {
  const dir = packageDir();
  const r = spawnSync(process.execPath, [join(dir, script), ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `node-llama-cpp failed: ${r.stderr.slice(-2000)}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** llama.cpp's greedy continuation of `prompt` (token ids), up to n tokens. */
export function llamaCppGreedy(gguf: string, prompt: number[], n: number): number[] {
  return JSON.parse(run('shorten-greedy.mjs', [gguf, JSON.stringify(prompt), String(n)])) as number[];
}

/** llama.cpp's mean next-token NLL over the segments (each scored on its own, as `perplexity` does). */
export function llamaCppNll(
  gguf: string,
  segments: number[][],
  workDir: string,
): { nll: number; tokens: number } {
  const path = join(workDir, 'segments.json');
  writeFileSync(path, JSON.stringify(segments));
  return JSON.parse(run('shorten-score.mjs', [gguf, path])) as { nll: number; tokens: number };
}
