/**
 * A fresh, empty cluster made by copying a template: `initdb` runs once per installation of a major
 * (in a sandbox of its own, as any scratch server's programs do), its cluster is kept root's in the
 * tool's root-only folder of /run, keyed by the initdb binary and the options, and each fresh cluster
 * is a copy of it (`cp -a`, a tenth of initdb's time). The template is made aside and renamed into
 * place, so two processes making it at once both end with a whole one.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxSpec, ScratchSandbox } from '../../core/seams.js';
import { runOk } from '../processes.js';
import { serverEnv } from '../pg-sandbox.js';
import { rootFolder, runFolder } from './identity.js';

/**
 * initdb's options: the bootstrap superuser `postgres`, UTF8 and the C locale (the operator's LANG may
 * name a locale this machine lacks), no fsync while it is made; logins are the server's own rules
 * (its sandbox's pg_hba.conf), never the template's.
 */
const INITDB_OPTIONS = ['-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C'];

/** The template's folder: which initdb made it (path, size, time) and with what. */
async function templateOf(bin: string): Promise<string> {
  const initdb = await realpath(join(bin, 'initdb'));
  const st = await stat(initdb);
  const key = createHash('sha256')
    .update(JSON.stringify([initdb, st.size, st.mtimeMs, INITDB_OPTIONS]))
    .digest('hex')
    .slice(0, 16);
  return join(await rootFolder(join(runFolder(), 'initdb')), key);
}

/** Makes the template of `bin`'s major when it is missing. */
async function ensureTemplate(open: (spec: SandboxSpec) => Promise<ScratchSandbox>, bin: string): Promise<string> {
  const template = await templateOf(bin);
  if (await stat(template).catch(() => null)) return template;
  const making = await mkdtemp(`${template}.making-`);
  try {
    const data = join(making, 'data');
    await mkdir(data, { mode: 0o700 });
    const sandbox = await open({ writable: [data], bins: [bin] });
    try {
      await runOk(['chown', `${sandbox.account.uid}:${sandbox.account.gid}`, data]);
      await sandbox.runOk([join(bin, 'initdb'), '-D', data, ...INITDB_OPTIONS], { env: serverEnv() });
    } finally {
      await sandbox.close();
    }
    await runOk(['chown', '-R', '-h', '-P', '0:0', data]);
    await rename(data, template).catch(async (err: unknown) => {
      // Made meanwhile by another process: theirs is as good.
      if (!(await stat(template).catch(() => null))) throw err;
    });
  } finally {
    await rm(making, { recursive: true, force: true });
  }
  return template;
}

/** A new empty cluster of `bin`'s major at `dataDir` (which must not exist yet), root's until a scratch server is given it. */
export async function freshCluster(open: (spec: SandboxSpec) => Promise<ScratchSandbox>, bin: string, dataDir: string): Promise<void> {
  const template = await ensureTemplate(open, bin);
  await runOk(['cp', '-a', '--', template, dataDir]);
}
