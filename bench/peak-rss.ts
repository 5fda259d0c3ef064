/**
 * The peak RSS (KiB) of this process's own image: VmHWM of /proc/self/status, which starts anew at
 * exec. Not `process.resourceUsage().maxRSS`: Linux's ru_maxrss keeps the high-water mark of the image
 * before exec, the forked copy of the parent, so a child of a 300 MB process reports 300 MB however
 * little it used itself (fs/exec.c `setmax_mm_hiwater_rss` into the signal struct, read back by
 * kernel/sys.c `getrusage`). Where /proc cannot say, ru_maxrss is all there is.
 */
import { readFileSync } from 'node:fs';

export function peakRssKb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // No /proc here: below.
  }
  return process.resourceUsage().maxRSS;
}
