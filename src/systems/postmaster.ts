/**
 * A PostgreSQL server's process on this machine, found through its data folder. Its postmaster.pid is
 * no sign it has ended: the server removes that file on its way out, before it has exited (strace:
 * the unlink, then exit_group), so a stop waits on the process itself.
 */
import { readFile } from 'node:fs/promises';
import { readLog } from '../core/read-regular.js';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Whether a /proc cmdline (NUL-separated) names DATA, as `-D DATA` or `--pgdata=DATA` does. */
export const namesData = (cmdline: string, data: string): boolean => cmdline.split('\0').includes(data) || cmdline.includes(`=${data}\0`);

/** The PID its postmaster.pid names (the first line), or undefined when there is none. */
export async function postmasterPid(data: string): Promise<number | undefined> {
  const pid = Number((await readLog(join(data, 'postmaster.pid')).catch(() => '')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether the postmaster PID, which served DATA, has ended: gone, a zombie its parent has yet to reap, or the PID another program's since. */
async function ended(pid: number, data: string): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  if (status === '' || /^State:\s+Z/m.test(status)) return true;
  // A process past releasing its memory shows no command line while it exits: not ended yet.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline !== '' && !namesData(cmdline, data);
}

/** Whether the postmaster PID of DATA has ended within `tenths` tenths of a second. */
export async function endsWithin(pid: number, data: string, tenths: number): Promise<boolean> {
  for (let i = 0; i < tenths; i++) {
    if (await ended(pid, data)) return true;
    await delay(100);
  }
  return ended(pid, data);
}
