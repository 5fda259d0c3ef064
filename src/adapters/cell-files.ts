/**
 * Files on a cell. The recovery never deletes a container's data: it moves the
 * contents of the /data folder aside, and only from where cf-containers-broker keeps
 * container volumes (`/var/vcap/store/cf-containers-broker/cf-<node uuid>/data`).
 */
import { quote } from '../core/command-line.js';
import { posix } from 'node:path';
import { StepFailed, UsageError } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import { assertSudoWorked } from './shell.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../core/seams.js';

const VOLUMES_ROOT = '/var/vcap/store/cf-containers-broker/';

export interface CellFilesOptions {
  /** Run through `sudo -n` (default true: the volumes belong to root). */
  sudo?: boolean;
  /** The only tree contents may be moved out of (default VOLUMES_ROOT). */
  root?: string;
  /** The run's redactor, for the failures. */
  redactor: Redactor;
}

function listDirSpec(dir: string, opts: Pick<CellFilesOptions, 'sudo'>): CommandSpec {
  return { argv: ['find', dir, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\0'], writes: false, sudo: opts.sudo ?? true };
}

/** Names in a folder (no `.`/`..`), sorted; null when the folder does not exist. */
export async function listDir(runner: CommandRunner, dir: string, opts: CellFilesOptions): Promise<string[] | null> {
  const spec = listDirSpec(dir, opts);
  const result = await runner.run(spec);
  if (result.exitCode !== 0) {
    assertSudoWorked(spec, result, runner.where, opts.redactor);
    if (/No such file or directory/.test(result.stderr)) return null;
    throw failure(spec, result, runner.where, `listing ${dir}`, opts);
  }
  return result.stdout
    .split('\0')
    .filter((n) => n !== '')
    .sort();
}

export async function pathExists(runner: CommandRunner, path: string, opts: CellFilesOptions): Promise<boolean> {
  const spec: CommandSpec = { argv: ['test', '-e', path], writes: false, sudo: opts.sudo ?? true };
  const result = await runner.run(spec);
  assertSudoWorked(spec, result, runner.where, opts.redactor);
  if (result.exitCode === 0) return true;
  if (result.exitCode === 1) return false;
  throw failure(spec, result, runner.where, `checking ${path}`, opts);
}

/** Refuses anything but `<root>/<container>/data` (normalized, no `..`). */
export function assertVolumeDataDir(dir: string, root = VOLUMES_ROOT): void {
  const normalized = posix.normalize(dir);
  const base = root.endsWith('/') ? root : `${root}/`;
  const ok =
    posix.isAbsolute(dir) &&
    normalized === dir.replace(/\/+$/, '') &&
    normalized.startsWith(base) &&
    normalized.endsWith('/data') &&
    normalized.slice(base.length).split('/').length === 2;
  if (!ok) {
    throw new UsageError(`refusing to move the contents of ${dir}: only a container's data folder ${base}<container>/data is emptied`, {
      hint: 'take the folder from docker inspect (the Source of the /data mount)',
    });
  }
}

function moveSpecs(dir: string, dest: string, opts: Pick<CellFilesOptions, 'sudo'>): CommandSpec[] {
  const sudo = opts.sudo ?? true;
  return [
    { argv: ['mkdir', '-p', dest], writes: true, sudo },
    { argv: ['find', dir, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', dest, '{}', '+'], writes: true, sudo },
  ];
}

/**
 * Moves everything in `dir` into `dest` (created if needed) and returns the names it
 * moved. `dest` must be outside `dir`.
 */
export async function moveContentsAside(
  runner: CommandRunner,
  dir: string,
  dest: string,
  opts: CellFilesOptions,
): Promise<{ moved: string[] }> {
  assertVolumeDataDir(dir, opts.root ?? VOLUMES_ROOT);
  const target = posix.normalize(dest);
  if (!posix.isAbsolute(dest) || target === dir || target.startsWith(`${dir.replace(/\/+$/, '')}/`)) {
    throw new UsageError(`the quarantine folder ${dest} must be an absolute path outside ${dir}`);
  }
  const entries = await listDir(runner, dir, opts);
  if (entries === null)
    throw new StepFailed(`${dir} does not exist on ${runner.where}`, { hint: "check the container's /data mount with docker inspect" });
  if (entries.length === 0) return { moved: [] };
  for (const spec of moveSpecs(dir, target, opts)) {
    const result = await runner.run(spec);
    if (result.exitCode !== 0) {
      assertSudoWorked(spec, result, runner.where, opts.redactor);
      throw failure(spec, result, runner.where, `moving the contents of ${dir} to ${target}`, opts);
    }
  }
  return { moved: entries };
}

function failure(spec: CommandSpec, result: CommandResult, where: string, what: string, opts: CellFilesOptions): StepFailed {
  const stderr = opts.redactor.redact(result.stderr.trim()) || `exit code ${result.exitCode}`;
  return new StepFailed(`${what} on ${where} failed: ${stderr}`, {
    hint: `run \`${quote(spec.sudo ? ['sudo', ...spec.argv] : spec.argv)}\` on the cell to see the problem`,
  });
}
