/**
 * Failpoints: named places where a test can make the process die as a crash would
 * (SIGKILL), to prove that a run resumes from any point. Set
 * DINGO_RECOVER_FAILPOINTS to a comma-separated list such as `journal:17`,
 * `s3.copy:3` (the third time that point is reached), `step:stop-container` (right
 * after that step finished) or `rehearsal.write:2` (right after the second command that
 * changes the simulated platform took effect and was saved, before the journal records it), or
 * `drill.fetched` (a drill on a cell has fetched the archive to this machine), `drill.started` (its server
 * was started in its container on the cell).
 * A point named with `=stop` (`volumes.verify-dumps=stop`) stops the process there (SIGSTOP)
 * instead, for a test to send it a signal or close its output at that moment, then SIGCONT it. One
 * named with `=throw` raises an error nothing catches, as a library's event no one listens for would,
 * its message ending with DINGO_RECOVER_FAILPOINT_DETAIL (what such an error might quote).
 * Inactive unless set.
 */
const spec = process.env.DINGO_RECOVER_FAILPOINTS ?? '';
const armed = new Map<string, number>();
const stopping = new Set<string>();
const throwing = new Set<string>();
for (const entry of spec
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)) {
  const item = entry.replace(/=(stop|throw)$/, '');
  if (entry.endsWith('=stop')) stopping.add(item.replace(/:\d+$/, ''));
  if (entry.endsWith('=throw')) throwing.add(item.replace(/:\d+$/, ''));
  // A trailing `:N` counts the passes, except for journal points, which are named by sequence number.
  const counted = /^(.*):(\d+)$/.exec(item);
  if (counted && !item.startsWith('journal')) armed.set(counted[1]!, Math.max(1, Number(counted[2])));
  else armed.set(item, 1);
}
const seen = new Map<string, number>();

export function failpoint(name: string): void {
  if (armed.size === 0) return;
  const count = (seen.get(name) ?? 0) + 1;
  seen.set(name, count);
  if (armed.get(name) !== count) return;
  if (throwing.has(name)) {
    const detail = process.env.DINGO_RECOVER_FAILPOINT_DETAIL ?? '';
    setImmediate(() => {
      throw new Error(`failpoint ${name}${detail ? `: ${detail}` : ''}`);
    });
  } else process.kill(process.pid, stopping.has(name) ? 'SIGSTOP' : 'SIGKILL');
}
