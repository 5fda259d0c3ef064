/**
 * Failpoints: named places where a test can make the process die as a crash would
 * (SIGKILL), to prove that a run resumes from any point. Set
 * DINGO_RECOVER_FAILPOINTS to a comma-separated list such as `journal:17` or
 * `s3.copy:3` (the third time that point is reached). Inactive unless set.
 */
const spec = process.env.DINGO_RECOVER_FAILPOINTS ?? '';
const armed = new Map<string, number>();
for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
  const i = item.lastIndexOf(':');
  const name = i < 0 ? item : item.slice(0, i);
  const nth = i < 0 ? 1 : Number(item.slice(i + 1));
  if (name.startsWith('journal')) armed.set(item, 1);
  else armed.set(name, Number.isFinite(nth) && nth > 0 ? nth : 1);
}
const seen = new Map<string, number>();

export function failpoint(name: string): void {
  if (armed.size === 0) return;
  const count = (seen.get(name) ?? 0) + 1;
  seen.set(name, count);
  if (armed.get(name) === count) process.kill(process.pid, 'SIGKILL');
}
