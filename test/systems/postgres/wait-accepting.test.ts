/**
 * waitAccepting: PostgreSQL 10 and later say in postmaster.pid when they accept connections, and that
 * answer is taken without a client; without a status (before 10, or before the file is written)
 * pg_isready asks; a server that ends is not waited for. The file is the server account's to write:
 * what it puts there instead of a file is not read.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ScratchSandbox } from '../../../src/core/seams.js';
import { waitAccepting, type Endpoint, type PidFile, type Postmaster } from '../../../src/systems/postgres/index.js';
import { readPidFile } from '../../../src/systems/postgres/postmaster.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A postmaster whose postmaster.pid reads `files` in turn (the last one stays), alive while `alive` says so. */
function postmaster(files: (PidFile | null)[], alive = () => true): Postmaster & { reads: () => number } {
  let reads = 0;
  return {
    how: 'a double',
    alive: () => Promise.resolve(alive()),
    pidFile: () => Promise.resolve(files[Math.min(reads++, files.length - 1)]!),
    pid: () => Promise.resolve(0),
    lastWords: () => Promise.resolve(''),
    stop: () => Promise.resolve(),
    reads: () => reads,
  };
}

/** An endpoint whose pg_isready exits with `codes` in turn (the last one stays), and the argvs it ran. */
function endpoint(codes: number[]): { e: Endpoint; ran: string[][] } {
  const ran: string[][] = [];
  const sandbox = {
    run: (argv: string[]) => {
      ran.push(argv);
      return Promise.resolve({ code: codes[Math.min(ran.length - 1, codes.length - 1)]!, stdout: '', stderr: '' });
    },
  } as unknown as ScratchSandbox;
  return { e: { sandbox, bin: '/pg/bin', port: 5432 }, ran };
}

const at = (status: string | null): PidFile => ({ pid: 42, status });

it.each(['ready', 'standby'])('takes "%s" in postmaster.pid for accepting, and starts no client', async (status) => {
  const server = postmaster([at('starting'), at('starting'), at(status)]);
  const { e, ran } = endpoint([2]);
  await expect(waitAccepting(server, e, 10_000)).resolves.toBe('ready');
  expect(server.reads()).toBe(3);
  expect(ran).toEqual([]);
});

it('asks pg_isready while postmaster.pid has no status (before PostgreSQL 10) or is not there yet', async () => {
  const server = postmaster([null, at(null), at(null)]);
  const { e, ran } = endpoint([2, 1, 0]);
  await expect(waitAccepting(server, e, 10_000)).resolves.toBe('ready');
  expect(ran).toHaveLength(3);
  for (const argv of ran) expect(argv.slice(0, 2)).toEqual(['/pg/bin/pg_isready', '-q']);
});

it('a server still starting that ends is not waited for; one stopping is late, whatever a client would say', async () => {
  let alive = true;
  const ending = postmaster([at('starting')], () => alive);
  const { e } = endpoint([2]);
  setTimeout(() => (alive = false), 250);
  await expect(waitAccepting(ending, e, 10_000)).resolves.toBe('exited');
  await expect(waitAccepting(postmaster([at('stopping')]), endpoint([0]).e, 300)).resolves.toBe('late');
});

/** PostgreSQL 10's postmaster.pid of a server accepting connections. */
const READY = `4242\n/var/lib/postgresql/data\n1700000000\n5432\n/var/run/postgresql\n*\n  5432001    32768\nready   \n`;

async function dataDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'pid-file-')));
  dirs.push(dir);
  return dir;
}

it('reads the pid and the status of a postmaster.pid, and none where there is none', async () => {
  const dir = await dataDir();
  await expect(readPidFile(dir)).resolves.toBeNull();
  await writeFile(join(dir, 'postmaster.pid'), READY);
  await expect(readPidFile(dir)).resolves.toEqual({ pid: 4242, status: 'ready' });
  // Before PostgreSQL 10: seven lines, no status.
  await writeFile(join(dir, 'postmaster.pid'), READY.split('\n').slice(0, 7).join('\n') + '\n');
  await expect(readPidFile(dir)).resolves.toEqual({ pid: 4242, status: null });
});

it('follows no link, waits on no FIFO and reads no more than the head of what the server account put there', async () => {
  const dir = await dataDir();
  const elsewhere = await dataDir();
  await writeFile(join(elsewhere, 'ready'), READY);
  await symlink(join(elsewhere, 'ready'), join(dir, 'postmaster.pid'));
  await expect(readPidFile(dir)).resolves.toBeNull();
  await rm(join(dir, 'postmaster.pid'));
  execFileSync('mkfifo', [join(dir, 'postmaster.pid')]);
  await expect(readPidFile(dir)).resolves.toBeNull();
  await rm(join(dir, 'postmaster.pid'));
  // A status pushed past the head by a long line is not seen.
  await writeFile(join(dir, 'postmaster.pid'), READY.replace('/var/run/postgresql', 'x'.repeat(8192)));
  await expect(readPidFile(dir)).resolves.toEqual({ pid: 4242, status: null });
});
