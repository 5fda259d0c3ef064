import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { findVolumes, volumeArg, volumeShownName } from '../../src/volumes/find.js';
import { majorOfCatalog } from '../../src/volumes/data-folder-major.js';
import { describeUserData } from '../../src/volumes/user-data.js';
import { crc32c, legacyCrc32, parsePgControl, PgControlError } from '../../src/systems/pg-control.js';
import { buildVolumesTree, manifest, pgControl96, type VolumesTree } from '../support/pg-volumes.js';
import { execFileSync } from 'node:child_process';
import { ifStarted } from '../support/started.js';

let tree: VolumesTree;
let before: Map<string, string>;

beforeAll(async () => {
  tree = await buildVolumesTree();
  before = manifest(tree.root);
}, 120_000);

afterAll(() => {
  ifStarted(tree)?.cleanup();
});

describe('pg_control', () => {
  it('reads what pg_controldata reads from a real PostgreSQL 15 cluster, CRC checked', () => {
    const dir = join(tree.root, tree.names.older, '_data');
    const c = parsePgControl(readFileSync(join(dir, 'global', 'pg_control')), '15');
    const text = execFileSync('/usr/lib/postgresql/15/bin/pg_controldata', [dir], { env: { ...process.env, LC_ALL: 'C' } }).toString();
    const field = (label: string): string => new RegExp(`^${label}:\\s+(.+)$`, 'm').exec(text)![1]!.trim();
    expect(c.crcOk).toBe(true);
    expect(c.layout).toBe('13');
    expect(c.systemIdentifier).toBe(field('Database system identifier'));
    expect(c.state).toBe(field('Database cluster state'));
    expect(c.checkpointLocation).toBe(field('Latest checkpoint location'));
    expect(c.redoLocation).toBe(field("Latest checkpoint's REDO location"));
    expect(new Date(c.checkpointAt).getTime()).toBe(new Date(field('Time of latest checkpoint')).getTime());
    // The settings a hot standby must hold at least, as pg_controldata prints them.
    expect(c.settings).toEqual({
      walLevel: field('wal_level setting'),
      maxConnections: Number(field('max_connections setting')),
      maxWorkerProcesses: Number(field('max_worker_processes setting')),
      maxWalSenders: Number(field('max_wal_senders setting')),
      maxPreparedXacts: Number(field('max_prepared_xacts setting')),
      maxLocksPerXact: Number(field('max_locks_per_xact setting')),
    });
  });

  it('reads a 9.6 layout and reports a damaged file instead of trusting it', () => {
    const buf = pgControl96(42n, new Date('2018-03-04T05:06:07Z'));
    const c = parsePgControl(buf, '9.6');
    expect(c).toMatchObject({
      layout: '9.6',
      systemIdentifier: '42',
      state: 'shut down',
      crcOk: true,
      checkpointAt: '2018-03-04T05:06:07.000Z',
    });
    buf[20] = buf[20]! ^ 0xff;
    expect(parsePgControl(buf, '9.6').crcOk).toBe(false);
  });

  it('refuses a control version older than 9.4 by name', () => {
    const buf = Buffer.alloc(8192);
    buf.writeUInt32LE(937, 8);
    expect(() => parsePgControl(buf)).toThrow(PgControlError);
    expect(() => parsePgControl(buf)).toThrow(/937 is not one of PostgreSQL 9.4 or later/);
  });

  it('computes CRC-32C and the pre-9.5 CRC as PostgreSQL does', () => {
    // CRC-32C check value of "123456789" (RFC 3720); the legacy CRC differs from both standard CRCs.
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
    expect(legacyCrc32(Buffer.from('123456789'))).not.toBe(0xcbf43926);
    expect(legacyCrc32(Buffer.alloc(0))).toBe(0);
  });
});

describe('findVolumes over a folder of volumes', () => {
  it('ranks clusters holding tables first, newest checkpoint first, and names and passes over everything else', async () => {
    const r = await findVolumes({ volumesRoot: tree.root });
    expect(r.candidates.map((c) => c.name)).toEqual([
      tree.names.wanted,
      tree.names.killed,
      tree.names.older,
      tree.names.fresh,
      tree.names.old96,
    ]);
    const wanted = r.candidates[0]!;
    expect(wanted).toMatchObject({ rank: 1, kind: 'postgresql' });
    expect(wanted.postgres).toMatchObject({
      subdir: 'pgdata',
      major: '15',
      postmasterPid: false,
      binaries: { bin: '/usr/lib/postgresql/15/bin' },
    });
    expect(wanted.postgres!.control).toMatchObject({ state: 'shut down', cleanShutdown: true, crcOk: true });
    expect(wanted.postgres!.sizeBytes).toBeGreaterThan(1_000_000);
    // Two tables with their sequences, indexes and TOAST, in one database beyond the templates.
    expect(wanted.postgres!.userData.databases).toBe(1);
    expect(wanted.postgres!.userData.relations).toBeGreaterThanOrEqual(6);
    expect(wanted.postgres!.userData.bytes).toBeGreaterThan(1_000_000);

    // The fresh cluster checkpointed last, yet ranks below every cluster that holds tables.
    const fresh = r.volumes.find((v) => v.name === tree.names.fresh)!;
    expect(Date.parse(fresh.postgres!.control!.checkpointAt)).toBeGreaterThan(Date.parse(wanted.postgres!.control!.checkpointAt));
    expect(fresh.postgres!.userData).toEqual({ databases: 1, relations: 0, bytes: 0 });
    expect(describeUserData(fresh.postgres!.userData)).toBe(
      'no user tables (1 database(s) beyond the templates, all empty): a fresh cluster, as initdb leaves it',
    );

    const killed = r.volumes.find((v) => v.name === tree.names.killed)!;
    expect(killed.postgres).toMatchObject({ postmasterPid: true });
    expect(killed.postgres!.control).toMatchObject({ state: 'in production', cleanShutdown: false });

    const old = r.volumes.find((v) => v.name === tree.names.old96)!;
    expect(old.postgres!.binaries).toEqual({ missing: expect.stringContaining('apt-get install postgresql-9.6') as unknown });

    const kinds = Object.fromEntries(r.volumes.filter((v) => v.kind !== 'postgresql').map((v) => [v.name, v.kind]));
    expect(kinds).toEqual({ [tree.names.redis]: 'redis', [tree.names.mysql]: 'mysql', [tree.names.empty]: 'empty' });
    expect(r.passedOver).toEqual(
      expect.arrayContaining([
        { kind: 'redis', count: 1 },
        { kind: 'empty', count: 1 },
      ]),
    );
  });

  it('changes no file of any volume', async () => {
    await findVolumes({ volumesRoot: tree.root });
    expect(manifest(tree.root)).toEqual(before);
  });
});

describe('a folder of volumes that cannot be listed', () => {
  it('is bad input, named plainly: missing, a file, a looping link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'volroots-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, 'x');
      const loop = join(dir, 'loop');
      symlinkSync(loop, loop);
      for (const [root, said] of [
        [join(dir, 'missing'), `there is no folder ${join(dir, 'missing')}`],
        [file, `${file} is a file, not a folder of volumes`],
        [loop, `${loop} is a symbolic link that loops`],
      ] as const) {
        const err = await findVolumes({ volumesRoot: root }).catch((e: unknown) => e);
        expect(err, root).toBeInstanceOf(UsageError);
        expect((err as UsageError).message).toBe(said);
        expect((err as UsageError).hint).toContain('/var/lib/docker/volumes');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists a volume that is a link to a folder out of it, and never reads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'volroots-'));
    try {
      symlinkSync(join(tree.root, tree.names.older), join(dir, 'linked'));
      const r = await findVolumes({ volumesRoot: dir });
      expect(r.candidates).toEqual([]);
      expect(r.volumes).toMatchObject([
        {
          name: 'linked',
          kind: 'link',
          detail: `its folder is a link out of the volumes folder to "${join(tree.root, tree.names.older)}": not followed, not read`,
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PG_VERSION against pg_control', () => {
  it('knows the major release of each catalog version', () => {
    expect(majorOfCatalog(202209061)).toBe('15');
    expect(majorOfCatalog(202307071)).toBe('16');
    expect(majorOfCatalog(201608131)).toBe('9.6');
    expect(majorOfCatalog(201409291)).toBe('9.4');
    expect(majorOfCatalog(201306121)).toBeNull();
  });

  it('believes the CRC-checked catalog version over a PG_VERSION that contradicts it, and never uses one that is not a version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'volversions-'));
    try {
      for (const [name, written] of [
        ['says13', '13'],
        ['garbage', 'garbage; rm -rf /'],
      ] as const) {
        const data = join(dir, name, '_data');
        mkdirSync(join(data, 'global'), { recursive: true });
        writeFileSync(join(data, 'PG_VERSION'), `${written}\n`);
        copyFileSync(join(tree.root, tree.names.older, '_data', 'global', 'pg_control'), join(data, 'global', 'pg_control'));
      }
      const r = await findVolumes({ volumesRoot: dir });
      const by = Object.fromEntries(r.candidates.map((c) => [c.name, c.postgres!]));
      expect(by.says13!.major).toBe('15');
      expect(by.says13!.versionProblem).toBe(
        "PG_VERSION says 13, but pg_control's catalog version 202209061 is PostgreSQL 15's: the folder was altered or mixed up; read as 15",
      );
      expect(by.garbage!.major).toBe('15');
      expect(by.garbage!.versionProblem).toMatch(/^PG_VERSION holds "garbage; rm -rf \/", not a version; pg_control's catalog version/);
      expect(JSON.stringify(by.garbage!.binaries)).not.toContain('garbage');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a volume's name on the screen and in a command", () => {
  it("is an Engine id's first 12 digits, as docker shows it, and any other name whole, on one line", () => {
    const id = 'f3b1c2d4e5a6978812345678901234567890abcdef1234567890abcdef123456';
    expect(volumeArg(id)).toBe('f3b1c2d4e5a6');
    expect(volumeShownName(id)).toBe('f3b1c2d4e5a6');
    // A compose project's volume keeps its whole name (it was cut to "oldname_db-d").
    expect(volumeShownName('oldname_db-data')).toBe('oldname_db-data');
    expect(volumeArg('oldname_db-data')).toBe('oldname_db-data');
    expect(volumeShownName('pg\n1. forged')).not.toContain('\n');
  });
});
