/**
 * waitAccepting: PostgreSQL 10 and later say in postmaster.pid when they accept connections, and that
 * answer is taken without a client; without a status (before 10, or before the file is written)
 * pg_isready asks; a server that ends is not waited for.
 */
import { expect, it } from 'vitest';
import type { ScratchSandbox } from '../../../src/core/seams.js';
import { waitAccepting, type Endpoint, type PidFile, type Postmaster } from '../../../src/systems/postgres/index.js';

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
