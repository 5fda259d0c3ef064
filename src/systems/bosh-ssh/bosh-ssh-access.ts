/**
 * Opening the cell seam through `bosh ssh` (bosh-ssh.ts): the cell found by its IP in `bosh vms`, a private
 * folder of the session's own in the run's scratch folder, gone when it closes or the process exits, and in
 * it, for v1, the deployment's manifest, which its `-d` takes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed } from '../../core/errors.js';
import { removeOnExit } from '../../core/exit-cleanup.js';
import { madeOwnFolder } from '../../core/own-folder.js';
import type { Redactor } from '../../core/redact.js';
import type { CellAccess, CellSession, CommandRunner } from '../../core/seams.js';
import { BoshCli } from '../../adapters/bosh.js';
import type { BoshSshTarget } from './bosh-ssh-argv.js';
import { boshSshFailed } from './bosh-ssh-remote.js';
import { BoshCellSession, SESSION_SETUP_MS, type BoshSshOptions } from './bosh-ssh.js';

/** The folder of a run's `bosh ssh` sessions in the scratch folder: what a killed session left there is found by it. */
export function boshScratchName(runId: string): string {
  return `dingo-bosh-ssh-${runId}`;
}

/** `dir`, made private if need be; one another account made (the scratch folder may be /tmp) is refused, never used. */
async function privateFolder(dir: string): Promise<string> {
  if (!(await madeOwnFolder(dir, 0o700))) {
    throw new StepFailed(
      `${dir} is not a folder this account made: the bosh ssh session's files (a manifest, a command's input) do not go there`,
      { hint: 'nothing was run; find out who made it and remove it, then resume' },
    );
  }
  return dir;
}

export function createBoshCellAccess(opts: BoshSshOptions): CellAccess {
  const binary = opts.binary ?? 'bosh';
  const redactor = opts.redactor;
  const cli = new BoshCli(opts.runner, { binary, redactor });
  return {
    async open(cellIp: string): Promise<CellSession> {
      const { major } = await cli.version();
      const found = await cli.findInstanceByIp(cellIp);
      if (!found) {
        throw new StepFailed(`no VM with IP ${cellIp} in any BOSH deployment, so \`bosh ssh\` cannot reach it`, {
          hint: 'check `bosh vms` for the cell; the IP in the logs may be a NAT address or the VM was recreated',
        });
      }
      const dir = await mkdtemp(join(opts.runFolder ? await privateFolder(opts.scratch) : opts.scratch, 'dingo-bosh-ssh-'));
      const release = removeOnExit(dir);
      try {
        const target: BoshSshTarget = { major, deployment: found.deployment, instance: found.instance };
        if (major === 1) target.manifest = await downloadManifest(opts.runner, binary, found.deployment, dir, redactor);
        return new BoshCellSession(cellIp, target, opts, binary, { path: dir, release }, redactor);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        release();
        throw err;
      }
    },
  };
}

/** v1's `-d` takes a manifest file: the deployment's, as the director holds it (it holds secrets: 0600 in a 0700 folder). */
async function downloadManifest(
  runner: CommandRunner,
  binary: string,
  deployment: string,
  dir: string,
  redactor: Redactor,
): Promise<string> {
  const file = join(dir, 'manifest.yml');
  await writeFile(file, '', { mode: 0o600 });
  const r = await runner.run({
    argv: [binary, '-n', 'download', 'manifest', deployment, file],
    writes: false,
    timeoutMs: SESSION_SETUP_MS,
  });
  if (r.exitCode !== 0) throw boshSshFailed(`\`bosh download manifest ${deployment}\``, 'the director', r, redactor);
  return file;
}
