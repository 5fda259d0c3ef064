/**
 * A scratch server keeps its Unix socket in a folder it makes in the scratch folder, which its sandbox
 * sees at /run/postgresql: past 107 bytes of path PostgreSQL would start on no socket at all ("could
 * not create any Unix-domain sockets"), but the path outside is never the socket's, so a scratch folder
 * of any depth serves, and nothing goes to /tmp. The folder is the server's account's alone (0700)
 * while it runs, and root's again once it stopped.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { SANDBOX_SOCKET_DIR } from '../../src/systems/postgres/index.js';
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

/** A scratch folder of about 200 characters: a socket folder made in it would pass a Unix socket's 107 bytes by far. */
function deepScratch(): string {
  const root = makeRoot();
  // The fixture's cluster is made by the postgres account, which must pass.
  chmodSync(root, 0o755);
  const work = join(root, 'w'.repeat(Math.max(1, 200 - root.length)));
  mkdirSync(work);
  return work;
}

/** The socket folders a look made in its scratch folder. */
const socketFolders = (work: string): string[] => readdirSync(work).filter((n) => n.startsWith('sock-'));

it('a scratch server in a scratch folder of any depth serves on its socket, in a folder of its own there, private while it runs', async () => {
  const work = deepScratch();
  const copy = join(work, 'data');
  await makeCluster(copy, 'shop', 'CREATE TABLE t (k int); INSERT INTO t VALUES (1), (2);', 'stop');
  const before = new Set(readdirSync('/tmp'));
  server = await startScratchServer({ dataDir: copy, major: '15', workDir: work });
  const [folder, ...more] = socketFolders(work);
  expect(more).toEqual([]);
  const socketDir = join(work, folder!);
  expect(Buffer.byteLength(socketDir)).toBeGreaterThan(107);
  const st = statSync(socketDir);
  expect(st.mode & 0o777).toBe(0o700);
  expect(st.uid).toBe(statSync(copy).uid);
  expect(st.uid).toBeGreaterThanOrEqual(0x70000000);
  expect(readdirSync(socketDir).some((n) => /^\.s\.PGSQL\.\d+$/.test(n))).toBe(true);
  expect(await server.read('shop', 'select count(*) from public.t')).toEqual([['2']]);
  // Its clients reach it where its sandbox puts the folder.
  expect(await server.query('shop', "select pg_catalog.current_setting('unix_socket_directories')")).toEqual([[SANDBOX_SOCKET_DIR]]);
  await server.stop();
  server = undefined;
  expect(readdirSync(socketDir)).toEqual([]);
  expect(statSync(socketDir).uid).toBe(0);
  expect(statSync(copy).uid).toBe(0);
  // Nothing of it went to /tmp.
  expect(readdirSync('/tmp').filter((n) => !before.has(n) && n.startsWith('dingo-sock-'))).toEqual([]);
});

it('a scratch server that does not start says why, and leaves its folders root’s', async () => {
  const work = deepScratch();
  // A folder that says it is a cluster of 15 and holds nothing else: the server cannot start on it.
  const copy = join(work, 'data');
  mkdirSync(copy, { mode: 0o700 });
  writeFileSync(join(copy, 'PG_VERSION'), '15\n');
  const refused = await startScratchServer({ dataDir: copy, major: '15', workDir: work }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StepFailed);
  expect((refused as StepFailed).message).toContain('PostgreSQL 15 did not start on the copy');
  expect((refused as StepFailed).hint).toContain(`the server log is ${join(work, 'server.log')}`);
  for (const f of socketFolders(work)) expect(statSync(join(work, f)).uid).toBe(0);
  expect(statSync(copy).uid).toBe(0);
});
