/**
 * A quiet drill's waits on S3 or Elasticsearch ("moto has not answered for 5 s…"), held rather than
 * printed: cron mails whatever a job writes, so a store that was slow for a moment and then answered
 * must not make a passing drill speak. Said on standard error when the drill did not pass, where
 * they may explain why.
 */
import { onWaiting } from '../../core/waits.js';
import type { CommandOutput } from '../terminal-out.js';

export interface HeldWaits {
  /** Writes what was held to `out`'s standard error, then holds no more. */
  say(): void;
  /** Stops holding, dropping what was held (the drill passed). */
  drop(): void;
}

/** With `quiet`, holds the waits said from now on; otherwise they are said as they come. */
export function holdWaits(quiet: boolean | undefined, out: CommandOutput): HeldWaits {
  if (!quiet) return { say: () => undefined, drop: () => undefined };
  const held: string[] = [];
  const stop = onWaiting((text) => held.push(text));
  return {
    say() {
      stop();
      for (const text of held.splice(0)) out.stderr(`dingo-recover: ${text}\n`);
    },
    drop() {
      stop();
      held.length = 0;
    },
  };
}
