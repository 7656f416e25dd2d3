// A depth-pruned student's kept blocks are its teacher's blocks, byte for byte: found by comparing
// bytes (the kept blocks are an increasing subsequence of the teacher's), they are replaced by the
// teacher's own tensors, so the frozen weights of a LoRA student cost no memory beside the teacher
// and the student's file is read once, for the comparison. Any stored dtype shares, quantized too.
import { bytesOf } from '../formats/atomic-write.js';
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { layerPrefix } from '../model/weights.js';

export interface SharedWeights {
  /** The student, with every tensor equal to a teacher's replaced by the teacher's. */
  weights: ModelWeights;
  sharedTensors: number;
  sharedBytes: number;
  /** For each student block, the teacher block it equals entirely (null: none, e.g. width-pruned). */
  blockOrigin: (number | null)[];
}

function sameBytes(a: WeightTensor, b: WeightTensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    return false;
  if (a.data === b.data) return true;
  return Buffer.compare(bytesOf(a.data), bytesOf(b.data)) === 0;
}

/** The tensors of block `layer`, by the name after `model.layers.N.`. */
function blockTensors(w: ModelWeights, layer: number): Map<string, WeightTensor> {
  const p = layerPrefix(layer);
  const out = new Map<string, WeightTensor>();
  for (const [name, t] of w.tensors) if (name.startsWith(p)) out.set(name.slice(p.length), t);
  return out;
}

function blocksEqual(s: Map<string, WeightTensor>, t: Map<string, WeightTensor>): boolean {
  if (s.size !== t.size) return false;
  for (const [name, a] of s) {
    const b = t.get(name);
    if (!b || !sameBytes(a, b)) return false;
  }
  return true;
}

export function shareTeacherTensors(student: ModelWeights, teacher: ModelWeights): SharedWeights {
  const tensors = new Map(student.tensors);
  let sharedTensors = 0;
  let sharedBytes = 0;
  const share = (name: string, t: WeightTensor): void => {
    tensors.set(name, t);
    sharedTensors++;
    sharedBytes += t.data.byteLength;
  };
  // Embedding, final norm, LM head: by name.
  for (const [name, s] of student.tensors) {
    if (name.startsWith('model.layers.')) continue;
    const t = teacher.tensors.get(name);
    if (t && sameBytes(s, t)) share(name, t);
  }
  // Blocks: each student block against the teacher's blocks after the last match, in order.
  const blockOrigin: (number | null)[] = [];
  let next = 0;
  for (let k = 0; k < student.config.numLayers; k++) {
    const mine = blockTensors(student, k);
    let origin: number | null = null;
    for (let j = next; j < teacher.config.numLayers; j++)
      if (blocksEqual(mine, blockTensors(teacher, j))) {
        origin = j;
        break;
      }
    blockOrigin.push(origin);
    if (origin === null) continue;
    next = origin + 1;
    const p = layerPrefix(origin);
    for (const name of mine.keys()) share(layerPrefix(k) + name, teacher.tensors.get(p + name)!);
  }
  return { weights: { config: student.config, tensors }, sharedTensors, sharedBytes, blockOrigin };
}
