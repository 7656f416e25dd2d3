// Learning-rate schedules: linear warmup from 0, then linear decay to 0 (Transformers'
// get_linear_schedule_with_warmup, as alpaca-lora trains) or cosine decay to a floor (CPT).

export type DecayKind = 'linear' | 'cosine';

export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  decay: DecayKind;
  /** The floor of the decay as a fraction of the peak (cosine and linear). */
  minRatio?: number;
}

/** The learning rate of optimizer step `step` (0-based). */
export function learningRate(step: number, o: ScheduleOptions): number {
  const floor = o.peak * (o.minRatio ?? 0);
  if (step < o.warmupSteps) return (o.peak * (step + 1)) / (o.warmupSteps + 1);
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / span);
  if (o.decay === 'linear') return floor + (o.peak - floor) * (1 - progress);
  return floor + (o.peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
