/** `--since` and `--until`: an ISO time, a date, or an age counted back from now. */
import { UsageError } from '../../core/errors.js';

/** The oldest age --since and --until take: 100 years, in each unit. */
const MAX_AGE = { d: 36_500, h: 876_000, m: 52_560_000 } as const;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

function isAgeUnit(unit: string | undefined): unit is keyof typeof MAX_AGE {
  return unit === 'd' || unit === 'h' || unit === 'm';
}

/** An ISO time, a date, or an age (`3d`, `12h`, `30m`) counted back from now. */
export function parseTime(flag: string, value: string | undefined, now = Date.now()): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const text = value;
  const age = /^(\d+)([dhm])$/.exec(text);
  if (age && isAgeUnit(age[2])) {
    const unit = age[2];
    const n = Number(age[1]);
    if (n > MAX_AGE[unit]) {
      throw new UsageError(`--${flag} ${text}: an age goes back at most 100 years (0 to ${MAX_AGE.d}d, ${MAX_AGE.h}h or ${MAX_AGE.m}m)`, {
        hint: `give a smaller age, or an ISO time (--${flag} 2016-03-17T06:00:00Z)`,
      });
    }
    return new Date(now - n * UNIT_MS[unit]);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a time`, {
      hint: `Use an ISO time (2016-03-17T06:00:00Z), a date (2016-03-17) or an age (3d, 12h; at most ${MAX_AGE.d}d)`,
    });
  return d;
}
