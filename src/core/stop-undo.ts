/**
 * What a session takes off the platform when a signal stops it: a drill's container and its copy of a
 * tenant's data on a cell, which only commands on that cell remove (a local folder goes with the
 * process, exit-cleanup.ts). Its owner registers it while it exists and lets it go once it removed it
 * itself. A signal's session, instead of exiting at once, runs what is still registered, for a limited
 * time, then exits; meanwhile no new step starts (`held`), so nothing the operator stopped
 * goes on. A second signal exits at once, leaving what is not yet removed to resume and `abandon`,
 * which name it from the journal.
 */
import { formatDuration } from './duration.js';
import { messageOf } from './errors.js';

/** One thing to take off the platform: what it is, in the operator's words, and how. */
interface Undo {
  what: string;
  undo: () => Promise<void>;
}

export class StopUndos {
  private readonly pending = new Set<Undo>();
  private stopping = false;

  /** Registers `undo` for a stop; the returned function lets it go (its owner removed it). */
  register(what: string, undo: () => Promise<void>): () => void {
    const entry = { what, undo };
    this.pending.add(entry);
    return () => {
      this.pending.delete(entry);
    };
  }

  /** What a stop now would remove. */
  whatIsPending(): string[] {
    return [...this.pending].map((u) => u.what);
  }

  /** Never returns once a stop began: a step about to start waits there until the process exits. */
  async held(): Promise<void> {
    if (this.stopping) await new Promise<never>(() => undefined);
  }

  /**
   * Stops: from now on no step starts, and what is registered is removed, each said before and after,
   * all at once, for at most `limitMs`. Resolves when all are done or the time is up (said).
   */
  async stop(say: (line: string) => void, limitMs: number): Promise<void> {
    this.stopping = true;
    const all = [...this.pending];
    this.pending.clear();
    if (!all.length) return;
    let timer: NodeJS.Timeout | undefined;
    const done = Promise.all(
      all.map(async ({ what, undo }) => {
        say(`removing ${what}`);
        try {
          await undo();
          say(`removed ${what}`);
        } catch (err) {
          say(`could not remove ${what}: ${messageOf(err)}`);
        }
      }),
    ).then(() => true);
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, limitMs);
    });
    const finished = await Promise.race([done, late]);
    clearTimeout(timer);
    if (!finished) say(`stopped waiting after ${formatDuration(limitMs)}: what is not removed yet stays`);
  }
}

/** The process's own: what its sessions' signals stop. */
export const stopUndos = new StopUndos();
