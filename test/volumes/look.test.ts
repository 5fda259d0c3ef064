import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { copyTree, digestTree } from '../../src/volumes/copy.js';
import { dumpDatabases, lookInside, newestOf, verifyDumps } from '../../src/volumes/look.js';
import { buildVolumesTree, manifest, type VolumesTree } from '../support/pg-volumes.js';
import { runCli } from '../support/cli.js';
import { ifStarted } from '../support/started.js';

let tree: VolumesTree;
let before: Map<string, string>;
let scratch: string;

beforeAll(async () => {
  tree = await buildVolumesTree();
  before = manifest(tree.root);
  scratch = mkdtempSync(join(tmpdir(), 'look-scratch-'));
  chmodSync(scratch, 0o755);
}, 120_000);

afterAll(() => {
  ifStarted(tree)?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const owner = { uid: 0, gid: 0 };

describe('the look inside a copy', () => {
  it('copies the wanted volume, reads its databases, dumps one and proves the dump restores', async () => {
    const src = join(tree.root, tree.names.wanted, '_data', 'pgdata');
    const copy = join(scratch, 'wanted');
    const digest = await copyTree(src, copy, { owner });
    expect(digest.files).toBeGreaterThan(500);

    const work = mkdtempSync(join(scratch, 'work-'));
    const look = await lookInside({ dataDir: copy, major: '15', workDir: work });
    expect(look.server).toContain('local PostgreSQL 15');
    const db = look.databases.find((d) => d.name === 'originalenclosure')!;
    expect(db.schemas).toEqual(['blog', 'public']);
    expect(db.largestTables[0]).toMatchObject({ schema: 'public', table: 'visits', rows: 20000, rowsExact: true });
    expect(db.largestTables.find((t) => t.table === 'posts')).toMatchObject({ rows: 400 });
    // 2023-01-01 + 20000 s is the newest stamp of visits; posts end in 2023-02-05.
    expect(Date.parse(db.newest!)).toBe(Date.parse('2023-02-05T00:00:00Z'));

    const out = join(scratch, 'dumps');
    const dumps = await dumpDatabases({ dataDir: copy, major: '15', workDir: work, databases: ['originalenclosure'], outDir: out });
    expect(dumps[0]).toMatchObject({ database: 'originalenclosure', rowCounts: { 'blog.posts': 400, 'public.visits': 20000 } });
    const again = await dumpDatabases({ dataDir: copy, major: '15', workDir: work, databases: ['originalenclosure'], outDir: out });
    expect(again[0]!.file).not.toBe(dumps[0]!.file); // an earlier dump is never overwritten

    const checks = await verifyDumps(dumps, { work: { in: tmpdir() } });
    expect(checks).toEqual([{ database: 'originalenclosure', file: dumps[0]!.file, restored: true, differences: [], tables: 2 }]);

    expect((await digestTree(src)).digest).toBe(digest.digest);
  }, 120_000);

  it('recovers the copy of a cluster whose server was killed, and the original keeps its postmaster.pid', async () => {
    const src = join(tree.root, tree.names.killed, '_data');
    const copy = join(scratch, 'killed');
    await copyTree(src, copy, { owner });
    const work = mkdtempSync(join(scratch, 'work-'));
    const look = await lookInside({ dataDir: copy, major: '15', workDir: work });
    expect(look.notes.join('\n')).toContain('moved postmaster.pid aside in the copy');
    const crm = look.databases.find((d) => d.name === 'crm')!;
    // Rows written after the last checkpoint come back through crash recovery on the copy.
    expect(crm.largestTables[0]).toMatchObject({ table: 'contacts', rows: 3100 });
  }, 120_000);

  it('names what to install for a version whose binaries are missing', async () => {
    const src = join(tree.root, tree.names.old96, '_data');
    const copy = join(scratch, 'old96');
    await copyTree(src, copy, { owner });
    const err = await lookInside({ dataDir: copy, major: '9.6', workDir: scratch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe('no PostgreSQL 9.6 server here to look inside the copy');
    expect((err as StepFailed).hint).toMatch(/apt-get install postgresql-9\.6.*--docker-host/);
  });

  it('volumes look refuses a database the copy does not hold, writes no dump folder, and says where the copy is kept', async () => {
    const mine = join(scratch, 'cli-look');
    const out = join(scratch, 'cli-dumps');
    const r = await runCli([
      'volumes',
      'look',
      tree.names.older.slice(0, 12),
      '--volumes-root',
      tree.root,
      '--scratch',
      mine,
      '--dump',
      'nosuchdb',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('the copy holds no database "nosuchdb"');
    expect(r.stderr).toMatch(/it holds .*shop.*: name one of those \(--dump, or inputs.databases/);
    expect(r.stderr).toContain(`what this look copied is kept in ${mine} (the original was only read)`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(mine).length).toBeGreaterThan(0);
  }, 120_000);

  it('left every file of every original volume as it was', () => {
    expect(manifest(tree.root)).toEqual(before);
  });
});

describe('newestOf', () => {
  it('picks the newest of the timestamps PostgreSQL prints, passing over missing and unreadable ones', () => {
    expect(newestOf(['2023-01-01 05:33:20+00', null, '2023-02-05 00:00:00+00', '', 'infinity', '2022-12-31 23:59:59.999999+00'])).toBe(
      '2023-02-05 00:00:00+00',
    );
    expect(newestOf([null, ''])).toBeNull();
    expect(newestOf([])).toBeNull();
  });
});
