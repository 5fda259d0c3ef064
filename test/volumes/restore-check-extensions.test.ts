/**
 * The proof that a dump restores (verify-dumps) restores as a role that is no superuser, as the load
 * into a service does: a dump with an extension only a superuser may make (pg_buffercache is no
 * trusted extension), and a comment on each that only its owner may write, still restores, the
 * extensions made first by the scratch server's superuser.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyDumps } from '../../src/volumes/look.js';
import type { DumpFacts } from '../../src/volumes/dump-facts.js';
import { makeDump } from '../support/pg-volumes.js';

let work: string;
let dump: DumpFacts;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'restore-check-ext-'));
  chmodSync(work, 0o755);
  dump = await makeDump(
    work,
    'prefs',
    `CREATE SCHEMA extensions; CREATE EXTENSION hstore WITH SCHEMA extensions; CREATE EXTENSION pg_buffercache;
     CREATE TABLE public.prefs (id int PRIMARY KEY, p extensions.hstore);
     INSERT INTO public.prefs VALUES (1, 'theme=>dark'), (2, 'lang=>fr');`,
  );
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('proves a dump with extensions only a superuser may make restores, its rows all there', async () => {
  expect(dump.rowCounts).toEqual({ 'public.prefs': 2 });
  expect(await verifyDumps([dump], { work: { in: work } })).toEqual([
    { database: 'prefs', file: dump.file, restored: true, differences: [], tables: 1 },
  ]);
}, 120_000);

it('keeps the check folder ours, where the use-lists are written: the server’s own account owns only its data and socket folders', async () => {
  const folder = join(work, 'check');
  const seen: string[] = [];
  await verifyDumps([dump], {
    work: folder,
    started: () => {
      const account = statSync(join(folder, 'data')).uid;
      const owner = (f: string) => (statSync(f).uid === account ? 'its account' : statSync(f).uid === 0 ? 'root' : 'other');
      seen.push(`${owner(folder)} ${(statSync(folder).mode & 0o777).toString(8)}`, owner(join(folder, 'data')), owner(join(folder, 's')));
      seen.push(owner(join(folder, 'lists')), String(account >= 0x70000000));
      // What the server runs, as its account, cannot put a name of its own beside the lists.
      seen.push(String(spawnSync('touch', [join(folder, 'lists', 'check_0.list')], { uid: account, gid: account }).status));
    },
  });
  expect(seen).toEqual(['root 700', 'its account', 'its account', 'root', 'true', '1']);
}, 120_000);
