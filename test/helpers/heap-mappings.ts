// What /proc/self/smaps says of the process heap: how much of it carries the transparent huge page
// advice (VmFlags "hg"), for the tests of native/src/heap_pages.cc and of what allocates through it.
import { existsSync, readFileSync } from 'node:fs';

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
/** Linux with transparent huge pages not "never". */
export const thpUsable =
  process.platform === 'linux' && existsSync(THP) && !readFileSync(THP, 'utf8').includes('[never]');

/** Bytes of the [heap] mappings, all and those whose VmFlags carry the huge page advice (hg). */
export function heapBytes(): { all: bigint; advised: bigint } {
  let all = 0n;
  let advised = 0n;
  let size = 0n;
  let heap = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) {
      heap = line.endsWith('[heap]');
      size = BigInt('0x' + range[2]) - BigInt('0x' + range[1]);
      if (heap) all += size;
    } else if (heap && line.startsWith('VmFlags:') && line.slice(8).trim().split(' ').includes('hg'))
      advised += size;
  }
  return { all, advised };
}
