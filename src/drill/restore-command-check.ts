/**
 * Run restore_command once for the backup's first segment, exactly as PostgreSQL
 * will (same user, shell and environment): if it cannot run, every WAL file would
 * look "missing" and the failure would masquerade as a broken archive.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalProcesses, RunAs } from '../core/seams.js';
import { DrillFailed } from './exit-codes.js';
import { shellQuote } from './recovery-config.js';
import type { Workdir } from './workdir.js';

export async function checkRestoreCommand(
  command: string,
  segment: string,
  workdir: Workdir,
  as: RunAs | undefined,
  processes: LocalProcesses,
): Promise<void> {
  const probe = join(workdir.dir, 'restore-command-check');
  const line = command.replaceAll('%f', segment).replaceAll('%p', shellQuote(probe));
  const r = await processes.run(['/bin/sh', '-c', line], { as, cwd: workdir.dataDir });
  await rm(probe, { force: true });
  if (r.code !== 0) {
    throw new DrillFailed(
      'could-not-run',
      `restore_command could not fetch ${segment}${as ? ` as the ${as.name} user` : ''} (exit ${r.code})${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 500)}` : ''}`,
      {
        hint: `PostgreSQL runs it as: ${command}. Credentials must be in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), readable by ${as?.name ?? 'this user'}.`,
      },
    );
  }
}
