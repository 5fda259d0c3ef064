/**
 * PostgreSQL servers left running on a data folder of ours by a process that is gone: a scratch server
 * of this tool ends with its sandbox (systems/postgres/), whatever ends the tool, but a run an older
 * version started, or a server someone started by hand on the copy, would still serve it. They are
 * found by their command line naming the folder (`-D DATA`, `--pgdata=DATA`, `data_directory=DATA`),
 * never by postmaster.pid alone (the PID it names may be another program's since, or a PID namespace's
 * own), and stopped: an immediate shutdown (SIGQUIT), then SIGKILL. A server's postmaster.pid is no
 * sign it has ended: the server removes that file on its way out, before it has exited (strace: the
 * unlink, then exit_group), so a stop waits on the process itself.
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Whether a /proc cmdline (NUL-separated) names DATA, as `-D DATA`, `--pgdata=DATA` or `-c data_directory=DATA` does. */
const namesData = (cmdline: string, data: string): boolean => cmdline.split('\0').includes(data) || cmdline.includes(`=${data}\0`);

/** Whether PID, which served DATA, has ended: gone, a zombie its parent has yet to reap, or the PID another program's since. */
async function ended(pid: number, data: string): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  if (status === '' || /^State:\s+Z/m.test(status)) return true;
  // A process past releasing its memory shows no command line while it exits: not ended yet.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline !== '' && !namesData(cmdline, data);
}

/** Whether PID of DATA has ended within `tenths` tenths of a second. */
async function endsWithin(pid: number, data: string, tenths: number): Promise<boolean> {
  for (let i = 0; i < tenths; i++) {
    if (await ended(pid, data)) return true;
    await delay(100);
  }
  return ended(pid, data);
}

/** The postmasters of this machine whose command line names DATA (its backends name no folder). */
async function serversOn(data: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const program = basename(cmdline.split('\0')[0] ?? '');
    if ((program === 'postgres' || program === 'postmaster') && namesData(cmdline, data) && !(await ended(Number(name), data)))
      found.push(Number(name));
  }
  return found;
}

/** Stops every server left running on DATA, waiting for each to end (killed after ten seconds); their PIDs. */
export async function stopServersOn(data: string): Promise<number[]> {
  const pids = await serversOn(data);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      continue;
    }
    if (await endsWithin(pid, data, 100)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Ended meanwhile.
    }
    await endsWithin(pid, data, 50);
  }
  return pids;
}
