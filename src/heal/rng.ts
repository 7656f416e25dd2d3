// The trainer's random source: xoshiro128** with a 128-bit state that a checkpoint can store and
// restore, so a resumed run draws the same dropout masks and initializations as an unbroken one.

export class TrainingRng {
  private readonly s = new Uint32Array(4);

  constructor(seed: number) {
    // splitmix32 spreads the seed over the state (xoshiro must not start from all zeros).
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next = (): number => this.nextUint32() / 4294967296;

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  get state(): number[] {
    return [...this.s];
  }

  set state(v: number[]) {
    if (v.length !== 4 || v.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffffffff))
      throw new RangeError(
        `TrainingRng: state must be 4 unsigned 32-bit integers (got ${JSON.stringify(v)})`,
      );
    this.s.set(v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A permutation of 0..n-1 drawn from `seed` alone (Fisher–Yates), e.g. one epoch's data order. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const rng = new TrainingRng(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
