/** Who drives a run: user@host, written into every journal event and the run's lock. */
import { hostname, userInfo } from 'node:os';

export function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export function operatorName(): string {
  return `${userName()}@${hostname()}`;
}
