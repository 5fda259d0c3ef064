/**
 * Each sandbox's own folder in the tool's root-only run folder (identity.ts `runFolder`): the passwd,
 * group and nsswitch.conf its /etc shows, its pg_hba.conf and pg_ident.conf, and the empty mount
 * point of its root. The folder's name says whose it is: the PID of the process that made it and
 * that process's start time (/proc/PID/stat's 22nd field), so a PID the kernel gave again to another
 * process is not taken for its owner. `close` removes it, and so does the process's exit on a signal or
 * an error nothing caught (core/exit-cleanup.ts); a run killed outright cannot, and the next
 * sandbox made on the machine removes the folders whose owner has ended (exited, collected or not). A
 * folder whose name does not say its owner is left as it is.
 *
 * The id reservations beside them are not swept: a killed run's copy of a tenant's data may still be
 * owned by its id, which is therefore never given again until /run is cleared at boot.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processStart, processStat } from '../../core/process-start.js';
import { rootFolder, runFolder } from './identity.js';

const PREFIX = 'sandbox-';
const OWNED = /^sandbox-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * A new sandbox folder, named for this process (unnamed, and so never swept, where /proc does not say
 * its start), made after the folders of ended owners are removed.
 */
export async function newSandboxFolder(): Promise<string> {
  const parent = await rootFolder(runFolder());
  await sweepEndedSandboxFolders(parent);
  const started = processStart(process.pid);
  return mkdtemp(join(parent, started ? `${PREFIX}${process.pid}-${started}-` : PREFIX));
}

/** Removes the sandbox folders in PARENT (the run folder) whose owner has ended (a run killed outright); what it removed. */
export async function sweepEndedSandboxFolders(parent?: string): Promise<string[]> {
  const folder = parent ?? (await rootFolder(runFolder()));
  const removed: string[] = [];
  for (const name of await readdir(folder)) {
    const m = OWNED.exec(name);
    if (!m) continue;
    // An owner that has exited owns nothing, even while its parent has yet to collect its status.
    const owner = processStat(Number(m[1]));
    if (owner && !owner.exited && owner.start === m[2]) continue;
    const path = join(folder, name);
    // A folder its owner could not remove either (a mount left on it) stays for the operator to see.
    await rm(path, { recursive: true, force: true }).then(
      () => removed.push(path),
      () => undefined,
    );
  }
  return removed;
}
