/** The deadline every network check of `doctor` keeps, saying what it waits on once it takes a while. */
import { onWaiting } from '../../core/waits.js';

/** After this long a network check says what it waits on. */
const WAITING_NOTICE_MS = 3000;

/** A check that cannot answer within `ms`: thrown by `withDeadline`. */
class PastDeadline extends Error {}

/**
 * `work` within `ms`: after a few seconds `say` is told what is awaited, and past the deadline it
 * fails naming what did not answer. The work itself is left to end on its own deadline. The wait
 * notices of the clients the work uses (core/waits.ts) are held meanwhile: the check says its own
 * wait, and one line per wait is what the screen should show.
 */
export async function withDeadline<T>(waitingOn: string, ms: number, say: (line: string) => void, work: () => Promise<T>): Promise<T> {
  let notice: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const releaseNotices = onWaiting(() => undefined);
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        notice = setTimeout(() => {
          say(`  … waiting on ${waitingOn} (${Math.round((Date.now() - started) / 1000)} s of ${Math.round(ms / 1000)} s)`);
        }, WAITING_NOTICE_MS);
        timer = setTimeout(() => {
          reject(new PastDeadline(`no answer from ${waitingOn} within ${Math.round(ms / 1000)} s`));
        }, ms);
      }),
    ]);
  } finally {
    releaseNotices();
    clearTimeout(notice);
    clearTimeout(timer);
  }
}
