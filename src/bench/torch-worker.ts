// A PyTorch process (bench/torch_worker.py) that stays up while a benchmark runs, so that its
// timings and ours interleave in rounds under one machine state: it builds its model once, then
// runs one workload per request and answers with the seconds it took.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findTorchPython, torchEnvironment } from './torch-runner.js';

/** What the worker says once its workloads are built. */
export interface TorchWorkerInfo {
  torch_version: string;
  threads: number;
  build_s: number;
  /** Which dtype runs where on the PyTorch side, in words. */
  runs_in: string;
}

/** One workload's answer: its seconds, and whatever it returns (scores, losses). */
export type TorchAnswer = { seconds: number } & Record<string, unknown>;

export class TorchWorker {
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(line);
      } else this.lines.push(line);
    });
    child.on('error', (err) => {
      this.stderr += `\n${err.message}`;
    });
    child.on('close', () => {
      this.ended = true;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(null);
      }
    });
  }

  /**
   * Starts bench/torch_worker.py for `bench` ('model', 'score', 'train', 'kernels') with the shapes
   * in `config`, in the tuned environment of torchEnvironment(threads), and waits until it is built.
   */
  static async start(
    bench: string,
    config: Record<string, unknown>,
    threads: number,
  ): Promise<{ worker: TorchWorker; info: TorchWorkerInfo }> {
    const py = findTorchPython();
    if (!py) throw new Error('PyTorch is not installed (Debian: apt-get install python3-torch)');
    const script = fileURLToPath(new URL('../../bench/torch_worker.py', import.meta.url));
    const child = spawn(py, [script, JSON.stringify({ ...config, bench, threads })], {
      env: torchEnvironment(threads),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const worker = new TorchWorker(child);
    const ready = (await worker.next()) as TorchWorkerInfo & { ready?: boolean };
    if (!ready.ready) throw worker.failure('did not start');
    return { worker, info: ready };
  }

  /** Runs workload `op` once; resolves with the seconds PyTorch measured around it. */
  async run(op: string, args: Record<string, unknown> = {}): Promise<TorchAnswer> {
    if (this.ended) throw this.failure(`has exited before '${op}'`);
    this.child.stdin.write(JSON.stringify({ ...args, op }) + '\n');
    const answer = (await this.next()) as TorchAnswer;
    if (typeof answer.seconds !== 'number') throw this.failure(`answered '${op}' without seconds`);
    return answer;
  }

  /** Ends the worker and waits for it to exit (its memory is free once this resolves). */
  async close(): Promise<{ peak_rss_bytes: number | null }> {
    if (this.ended) return { peak_rss_bytes: null };
    const exited = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    let last: { peak_rss_bytes?: number } = {};
    try {
      last = (await this.next()) as { peak_rss_bytes?: number };
    } catch {
      // Exited without a last word: nothing to report.
    }
    await exited;
    return { peak_rss_bytes: last.peak_rss_bytes ?? null };
  }

  /** Kills the worker without waiting (on our own failure). */
  kill(): void {
    if (!this.ended) this.child.kill('SIGKILL');
  }

  private async next(): Promise<unknown> {
    const line =
      this.lines.shift() ??
      (this.ended ? null : await new Promise<string | null>((resolve) => (this.waiting = resolve)));
    if (line === null) throw this.failure('exited');
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw this.failure(`printed '${line.slice(0, 200)}' instead of JSON`);
    }
  }

  private failure(what: string): Error {
    const code = this.child.exitCode;
    return new Error(
      `the PyTorch worker ${what}${code !== null ? ` (exit ${code})` : ''}: ${this.stderr.trim().slice(-2000)}`,
    );
  }
}
