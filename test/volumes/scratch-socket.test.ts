/**
 * A scratch server keeps its Unix socket in a folder it makes in the scratch folder: past 107 bytes
 * of path PostgreSQL starts on no socket at all ("could not create any Unix-domain sockets"). In a
 * scratch folder too deep for that, the socket folder is made in /tmp instead, private to the
 * server's account, and removed when the server stops or fails to start, or, its run killed first,
 * by the resume that stops the server it left.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { stopLeftoverServer } from '../../src/actions/support/restore-copy.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { APART_SOCKET_PREFIX, MAX_SOCKET_PATH, removeApartSocketFolder, socketFits } from '../../src/systems/pg-sandbox.js';
import { scratchAccount } from '../../src/systems/scratch-account.js';
import { startScratchServer, type ScratchServer } from '../../src/volumes/scratch-server.js';
import { makeCluster } from '../support/pg-volumes.js';
import { tempDirs } from '../support/temp-dirs.js';

// Made first, so that its folders go after the server below is stopped (after-hooks run last first).
const makeRoot = tempDirs('deep-');
let server: ScratchServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The socket folder a scratch server's connection names (psql's -h). */
function socketFolderOf(s: ScratchServer): string {
  return s.conn.args[s.conn.args.indexOf('-h') + 1]!;
}

/** The socket folders made apart that are in /tmp now. */
function apartFolders(): string[] {
  const prefix = basename(APART_SOCKET_PREFIX);
  return readdirSync('/tmp')
    .filter((n) => n.startsWith(prefix))
    .map((n) => join('/tmp', n));
}

function holdsSocket(folder: string): boolean {
  try {
    return readdirSync(folder).some((n) => /^\.s\.PGSQL\.\d+$/.test(n));
  } catch {
    return false;
  }
}

/** A scratch folder of about 90 characters, too deep for a socket folder made in it, that the postgres account can pass. */
function deepScratch(): string {
  const root = makeRoot();
  chmodSync(root, 0o755);
  const work = join(root, 'w'.repeat(Math.max(1, 90 - root.length)));
  mkdirSync(work);
  return work;
}

it('a socket folder fits while its socket path is at most 107 bytes, whatever the port', () => {
  expect(MAX_SOCKET_PATH).toBe(107);
  const fits = `/${'a'.repeat(MAX_SOCKET_PATH - '/.s.PGSQL.65535'.length - 1)}`;
  expect(socketFits(fits)).toBe(true);
  expect(socketFits(`${fits}b`)).toBe(false);
  // Bytes, not characters.
  expect(socketFits(`${fits.slice(0, -1)}é`)).toBe(false);
});

it('a scratch server in a scratch folder too deep for its socket keeps the socket in /tmp, private, and takes it away when it stops', async () => {
  const work = deepScratch();
  expect(socketFits(join(work, 'sock-XXXXXX'))).toBe(false);
  const copy = join(work, 'data');
  makeCluster(copy, 'shop', 'CREATE TABLE t (k int); INSERT INTO t VALUES (1), (2);', 'stop');
  server = await startScratchServer({ dataDir: copy, major: '15', workDir: work });
  const socketDir = socketFolderOf(server);
  expect(socketDir.startsWith(APART_SOCKET_PREFIX)).toBe(true);
  expect(server.notes.join('\n')).toContain(`its socket is in ${socketDir}, removed when it stops: ${work} is too deep`);
  const mode = statSync(socketDir);
  expect(mode.mode & 0o777).toBe(0o700);
  expect(mode.uid).toBe(scratchAccount().uid);
  expect(readdirSync(socketDir).some((n) => /^\.s\.PGSQL\.\d+$/.test(n))).toBe(true);
  expect(await server.read('shop', 'select count(*) from public.t')).toEqual([['2']]);
  await server.stop();
  server = undefined;
  expect(existsSync(socketDir)).toBe(false);
});

it('a scratch server that does not start leaves no socket folder in /tmp behind', async () => {
  const work = deepScratch();
  // A folder that says it is a cluster of 15 and holds nothing else: pg_ctl cannot start it.
  const copy = join(work, 'data');
  mkdirSync(copy);
  writeFileSync(join(copy, 'PG_VERSION'), '15\n');
  const before = new Set(apartFolders());
  const refused = await startScratchServer({ dataDir: copy, major: '15', workDir: work }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StepFailed);
  expect((refused as StepFailed).message).toContain('PostgreSQL 15 did not start on the copy');
  // Other test files start servers in deep folders at the same time: a folder of theirs holds its
  // server's socket soon, or goes. One that stays without a socket is the failed start's.
  await expect.poll(() => apartFolders().filter((f) => !before.has(f) && !holdsSocket(f)), { timeout: 30_000, interval: 250 }).toEqual([]);
});

it('a scratch server whose run was killed before it stopped it has its socket folder in /tmp removed by the resume that stops it', async () => {
  const work = deepScratch();
  const copy = join(work, 'data');
  makeCluster(copy, 'shop', 'SELECT 1;', 'stop');
  server = await startScratchServer({ dataDir: copy, major: '15', workDir: work });
  const socketDir = socketFolderOf(server);
  expect(socketDir.startsWith(APART_SOCKET_PREFIX)).toBe(true);
  // The run is killed here: its server, which pg_ctl detached, goes on; the resume finds it on the copy.
  const notes: string[] = [];
  const pid = await stopLeftoverServer({ note: (t: string) => void notes.push(t) } as unknown as StepContext, work);
  expect(pid).toBeGreaterThan(0);
  expect(existsSync(socketDir)).toBe(false);
  expect(notes).toContain(`removed ${socketDir}, the socket folder it had in /tmp`);
  server = undefined;
});

it('removes only socket folders made apart: not another path, not a link named like one', async () => {
  const root = makeRoot();
  const elsewhere = join(root, 'dingo-sock-abcdef');
  mkdirSync(elsewhere);
  const link = `${APART_SOCKET_PREFIX}${Math.random().toString(36).slice(2, 8).padEnd(6, 'x')}`;
  symlinkSync(root, link);
  try {
    expect(await removeApartSocketFolder(elsewhere)).toBe(false);
    expect(await removeApartSocketFolder(`${APART_SOCKET_PREFIX}../${root}`)).toBe(false);
    expect(await removeApartSocketFolder(link)).toBe(false);
    expect(await removeApartSocketFolder('')).toBe(false);
    expect(existsSync(elsewhere)).toBe(true);
    const made = mkdtempSync(APART_SOCKET_PREFIX);
    writeFileSync(join(made, '.s.PGSQL.5432.lock'), '');
    expect(await removeApartSocketFolder(made)).toBe(true);
    expect(existsSync(made)).toBe(false);
  } finally {
    rmSync(link, { force: true });
  }
});
