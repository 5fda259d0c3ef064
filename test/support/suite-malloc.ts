/**
 * glibc's malloc in the workers and in every program they start that keeps the environment (the command
 * line, the doubles, the servers): freed memory kept for reuse instead of given back to the kernel at once,
 * and the heap in transparent huge pages where the kernel gives them on request (`madvise`, as here). A
 * page fault is dear on this machine (10 µs or more of system time), and the suite's programs read archives
 * into fresh buffers by the hundred megabytes: the crash sweep alone, 1.47 million page faults and 59 s
 * without, 0.83 million and 53 s with; a live recovery file 51.4 CPU-s without, 46.3 with. vitest.config.ts
 * sets it unless the caller set GLIBC_TUNABLES.
 */
export const SUITE_MALLOC = 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456';

/**
 * `env` without the suite's malloc setting: a test that measures the tool's own memory measures it with
 * the malloc an operator's process has, not one told to keep up to 256 MiB of freed memory and to grow its
 * heap in 2 MiB pages. A GLIBC_TUNABLES of the caller's own is kept.
 */
export function withoutSuiteMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.GLIBC_TUNABLES !== SUITE_MALLOC) return env;
  const { GLIBC_TUNABLES: _suite, ...rest } = env;
  return rest;
}
