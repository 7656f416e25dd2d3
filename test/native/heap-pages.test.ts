// The heap advised into transparent huge pages (native/src/heap_pages.cc): on Linux with THP not
// "never", a big tensor buffer's heap mapping carries the advice (VmFlags "hg" in /proc/self/smaps);
// SHORTEN_HUGE_PAGES=0 turns it off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hugePagesActive } from '../../src/native/index.js';
import { allocFloat } from '../../src/tensor/tensor.js';
import { heapBytes, thpUsable } from '../helpers/heap-mappings.js';


test('huge page advice is on where the kernel offers transparent huge pages', () => {
  assert.equal(hugePagesActive(), thpUsable && process.env.SHORTEN_HUGE_PAGES !== '0');
});

test('a big tensor buffer lives in heap advised into huge pages', { skip: (!thpUsable && 'no transparent huge pages here') || (process.env.SHORTEN_HUGE_PAGES === '0' && 'SHORTEN_HUGE_PAGES=0') }, () => {
  // 64 MiB, written after allocation: malloc serves it from the heap, advised before the write.
  const before = heapBytes().advised;
  const a = allocFloat('f32', 16 << 20, false) as Float32Array;
  a.fill(1);
  const after = heapBytes();
  assert.ok(after.advised >= before, 'advice was lost');
  assert.ok(after.advised >= 62n << 20n, `only ${after.advised} of ${after.all} heap bytes advised`);
  assert.equal(a[a.length - 1], 1);
});

test('SHORTEN_HUGE_PAGES=0 turns the advice off', () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '-e', "import('./src/native/index.ts').then((m) => console.log(m.hugePagesActive()))"],
    { env: { ...process.env, SHORTEN_HUGE_PAGES: '0' }, encoding: 'utf8' },
  );
  assert.equal(out.trim(), 'false');
});
