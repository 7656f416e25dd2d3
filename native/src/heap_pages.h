// How the process heap is kept warm and in huge pages (see heap_pages.cc).
#pragma once

#include <cstddef>

namespace shorten {

/** At addon load: big buffers from the heap (not fresh mmaps), and the heap in transparent huge pages. */
void tuneHeap();

/**
 * Marks the heap (above where it ended at load) as wanting transparent huge pages, so pages it grew
 * by are advised before they are first written. Returns the bytes of heap advised.
 */
long adviseHeapHugePages();

/** Returns the heap's free pages to the system (malloc_trim); false where there is nothing to do. */
bool trimHeap();

/**
 * Advises the whole huge pages inside [data, data + bytes) (not yet written: a buffer of its own
 * mapping, which the heap's advice does not cover) into transparent huge pages.
 */
void adviseRangeHugePages(void* data, size_t bytes);

/** Whether heap pages are being advised (Linux with THP available and SHORTEN_HUGE_PAGES not 0). */
bool heapHugePagesActive();

}  // namespace shorten
