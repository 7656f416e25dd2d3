// A check that the perplexities measured in this process are what `shorten eval ppl` reports: the
// original model on each evaluation text through the CLI, against the in-process figure.
import type { FindingsContext } from './context.js';

export interface ProtocolCheck {
  text: string;
  cli: number;
  inProcess: number;
  relativeDifference: number;
}

export async function checkPerplexityProtocol(ctx: FindingsContext): Promise<ProtocolCheck[]> {
  const m = ctx.meter;
  const ours = await ctx.pplWithout([], 'perplexity of the original');
  const out: ProtocolCheck[] = [];
  for (const t of m.texts) {
    const key = { model: ctx.model.fingerprint, text: t.file, seqLen: m.seqLen, limit: m.segmentLimit };
    const r = await ctx.cache.run('eval-ppl-cli', `check: shorten eval ppl on ${t.name}`, key, () =>
      ctx.shorten<{ ppl: number }>([
        'eval',
        'ppl',
        ctx.model.path,
        '--text',
        t.file,
        '--seq-len',
        String(m.seqLen),
        '--limit',
        String(m.segmentLimit),
        '--json',
      ]),
    );
    const inProcess = ours[t.name].ppl;
    out.push({
      text: t.name,
      cli: r.result.ppl,
      inProcess,
      relativeDifference: Math.abs(r.result.ppl - inProcess) / inProcess,
    });
  }
  return out;
}
