// How `shorten run` shows long work: a cli-progress bar with rate and ETA when stderr is a terminal,
// a plain line every tenth of the way otherwise, never anything on stdout.
import cliProgress from 'cli-progress';
import type { SingleBar } from 'cli-progress';

export interface RunProgress {
  /** A line of news (a stage starting, skipped or done). */
  note(line: string): void;
  /** Starts a counted task; the returned function reports how many units are done. */
  task(label: string, total: number, unit: string): (done: number) => void;
  /** Ends the current counted task. */
  end(): void;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

class TerminalProgress implements RunProgress {
  private bar: SingleBar | null = null;
  private t0 = 0;

  note(line: string): void {
    this.end();
    process.stderr.write(line + '\n');
  }

  task(label: string, total: number, unit: string): (done: number) => void {
    this.end();
    this.t0 = performance.now();
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(22)} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        barsize: 24,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(1, total), 0, { rate: '-' });
    return (done) => {
      const seconds = (performance.now() - this.t0) / 1000;
      this.bar?.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '-' });
    };
  }

  end(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}

class LineProgress implements RunProgress {
  note(line: string): void {
    process.stderr.write(line + '\n');
  }

  task(label: string, total: number, unit: string): (done: number) => void {
    const t0 = performance.now();
    let nextTenth = 1;
    return (done) => {
      if (total <= 0 || done < (nextTenth * total) / 10) return;
      while (done >= (nextTenth * total) / 10) nextTenth++;
      const seconds = (performance.now() - t0) / 1000;
      const rate = done / Math.max(seconds, 1e-9);
      process.stderr.write(
        `${label}: ${done}/${total} ${unit}, ${rate.toFixed(1)} ${unit}/s, ETA ${formatSeconds((total - done) / rate)}\n`,
      );
    };
  }

  end(): void {}
}

class SilentProgress implements RunProgress {
  note(): void {}
  task(): (done: number) => void {
    return () => {};
  }
  end(): void {}
}

/** A bar on a terminal, plain lines when stderr is a file or pipe, nothing when quiet. */
export function runProgress(opts: { quiet?: boolean } = {}): RunProgress {
  if (opts.quiet) return new SilentProgress();
  return process.stderr.isTTY ? new TerminalProgress() : new LineProgress();
}
