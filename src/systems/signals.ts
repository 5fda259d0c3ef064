/** Exit statuses of processes killed by a signal, as a shell reports them. */
import { constants } from 'node:os';

/** The signal's number (SIGTERM → 15), or 0 for a name the platform does not know. */
function signalNumber(signal: string): number {
  const name = signal.startsWith('SIG') ? signal : `SIG${signal}`;
  return Object.entries(constants.signals).find(([n]) => n === name)?.[1] ?? 0;
}

/** 128 + the signal's number, the status a shell gives a command killed by it. */
export function signalExitCode(signal: string): number {
  return 128 + signalNumber(signal);
}
