import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFind, renderLook, sourceFlags } from '../../src/commands/volumes.js';
import { findVolumes } from '../../src/volumes/find.js';
import { copyVolume } from '../../src/volumes/session.js';
import { pgControl96 } from '../support/pg-volumes.js';
import { RESOLVED } from '../../src/systems/pg-control-layouts.js';
import { crc32c } from '../../src/systems/pg-control.js';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { controlFileCluster } from '../support/control-file-cluster.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'volumes-render-'));
  // Two copies of one 9.6 cluster (same system identifier), and an empty volume.
  for (const name of ['first', 'second']) {
    const data = join(root, name, '_data');
    mkdirSync(join(data, 'global'), { recursive: true });
    writeFileSync(join(data, 'PG_VERSION'), '9.6\n');
    writeFileSync(join(data, 'global', 'pg_control'), pgControl96(6400000000000000042n, new Date('2018-03-04T05:06:07Z')));
  }
  mkdirSync(join(root, 'nothing', '_data'), { recursive: true });
  // A tenant's names: a data folder in a subfolder, and a file, whose names hold lines of their own.
  const forged = join(root, 'forging', '_data', `pg${FORGED_LINE}`);
  mkdirSync(join(forged, 'global'), { recursive: true });
  writeFileSync(join(forged, 'PG_VERSION'), '9.6\n');
  writeFileSync(join(forged, 'global', 'pg_control'), pgControl96(6400000000000000043n, new Date('2018-03-04T05:06:07Z')));
  mkdirSync(join(root, 'other', '_data'), { recursive: true });
  // One volume, two majors' data folders (as postgres:18 keeps them): the older retired by pg_upgrade.
  const retired = join(root, 'upgraded', '_data', '9.5', 'docker');
  mkdirSync(join(retired, 'global'), { recursive: true });
  writeFileSync(join(retired, 'PG_VERSION'), '9.5\n');
  writeFileSync(join(retired, 'global', 'pg_control.old'), '');
  const upgraded = join(root, 'upgraded', '_data', '9.6', 'docker');
  mkdirSync(join(upgraded, 'global'), { recursive: true });
  writeFileSync(join(upgraded, 'PG_VERSION'), '9.6\n');
  writeFileSync(join(upgraded, 'global', 'pg_control'), pgControl96(6400000000000000044n, new Date('2019-03-04T05:06:07Z')));
  // A volume of the local driver bound to a host folder: its _data is empty while no container uses it.
  mkdirSync(join(root, 'pgbind', '_data'), { recursive: true });
  writeFileSync(join(root, 'pgbind', 'opts.json'), JSON.stringify({ MountType: 'none', MountOpts: 'bind', MountDevice: '/srv/pg' }));
  // A copy made half-way: its WAL folder lacks the segment of its latest checkpoint (0/3000028: …03).
  const half = join(root, 'halfcopied', '_data');
  mkdirSync(join(half, 'global'), { recursive: true });
  mkdirSync(join(half, 'pg_xlog'));
  writeFileSync(join(half, 'pg_xlog', '000000010000000000000002'), '');
  writeFileSync(join(half, 'PG_VERSION'), '9.6\n');
  const control = pgControl96(6400000000000000045n, new Date('2018-03-04T05:06:07Z'));
  const at = RESOLVED.find((r) => r.layout.name === '9.6')!.control.offsets;
  control.writeUInt32LE(16 * 1024 * 1024, at.get('xlog_seg_size'));
  control.writeUInt32LE(crc32c(control.subarray(0, at.get('crc'))), at.get('crc'));
  writeFileSync(join(half, 'global', 'pg_control'), control);
  // A tablespace's folder alone: its database folder holds a PG_VERSION, and is no data folder.
  const space = join(root, 'tblspc', '_data', 'PG_9.6_201608131', '16385');
  mkdirSync(space, { recursive: true });
  writeFileSync(join(space, 'PG_VERSION'), '9.6\n');
  writeFileSync(join(root, 'other', '_data', `a${FORGED_LINE}`), '');
});
/** What a name would print as a line of the tool's own, were its newline kept. */
const FORGED_LINE = '\n1. vol_other  PostgreSQL 15 with 42 user tables';
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('renderFind', () => {
  it('shows copies of one cluster as such, and names empty volumes among those passed over', async () => {
    const text = renderFind(await findVolumes({ volumesRoot: root }));
    expect(text).toContain('same system identifier as second: copies of one cluster');
    expect(text).toContain('same system identifier as first: copies of one cluster');
    expect(text).toMatch(/^ {2}nothing\s+empty: no files$/m);
    expect(text).toContain('PostgreSQL data folders, those holding user tables first, then the newest checkpoint:');
    expect(text).toContain('no user tables: a fresh cluster, as initdb leaves it');
  });

  it("keeps every line one line: a newline in a tenant's folder or file name is shown as \\n", async () => {
    const text = renderFind(await findVolumes({ volumesRoot: root }));
    expect(text).not.toMatch(/^1\. vol_other/m);
    expect(text).toContain('pg\\n1. vol_other  PostgreSQL 15 with 42 user tables');
    expect(text.split('\n').filter((l) => l.includes('vol_other'))).toHaveLength(2);
  });

  it('names every data folder of a volume, the one whose pg_control reads first, and a retired one as such', async () => {
    const text = renderFind(await findVolumes({ volumesRoot: root }));
    expect(text).toContain('   PostgreSQL 9.6 in 9.6/docker/');
    expect(text).toContain(
      '   also a data folder in 9.5/docker/: PostgreSQL 9.5, pg_control unreadable (global/pg_control was renamed pg_control.old: pg_upgrade retired this cluster: its files may be hard links the upgraded cluster now owns)',
    );
  });

  it('warns of a WAL folder that lacks the segment of the latest checkpoint, and of no other', async () => {
    const text = renderFind(await findVolumes({ volumesRoot: root }));
    const warnings = text.split('\n').filter((l) => l.includes('lacks'));
    expect(warnings).toEqual([
      '   WARNING: pg_xlog/ lacks 000000010000000000000003, which holds its latest checkpoint (0/3000028, REDO 0/3000028): a copy made half-way? PostgreSQL will not start on it ("could not locate a valid checkpoint record")',
    ]);
    writeFileSync(join(root, 'halfcopied', '_data', 'pg_xlog', '000000010000000000000003'), '');
    expect(renderFind(await findVolumes({ volumesRoot: root }))).not.toContain('lacks');
  });

  it('says where the data of a volume the local driver mounts is, rather than that it is empty', async () => {
    const text = renderFind(await findVolumes({ volumesRoot: root }));
    expect(text).toMatch(
      /^ {2}pgbind\s+empty: the local driver mounts \/srv\/pg \(type none, options bind\) on it only while a container uses it: the data is there, not here$/m,
    );
  });

  it("calls a tablespace's folder a tablespace, not a data folder", async () => {
    const text = renderFind(await findVolumes({ volumesRoot: root }));
    expect(text).toMatch(/^ {2}tblspc\s+postgresql-tablespace: a PostgreSQL tablespace \(PG_9\.6_201608131\)/m);
    expect(text).not.toContain('in PG_9.6_201608131/');
  });

  it('prints a next command that reads the volumes where this one did', async () => {
    const r = await findVolumes({ volumesRoot: root });
    const viaRoot = renderFind(r, sourceFlags({ 'volumes-root': root, 'docker-host': 'unix:///var/run/docker.sock' }));
    expect(viaRoot).toMatch(new RegExp(`^Next: dingo-recover volumes look \\S+ --volumes-root ${root}$`, 'm'));
    const viaHost = renderFind(r, sourceFlags({ 'docker-host': 'tcp://10.0.0.5:2375' }));
    expect(viaHost).toMatch(/^Next: dingo-recover volumes look \S+ --docker-host tcp:\/\/10\.0\.0\.5:2375$/m);
    expect(renderFind(r, sourceFlags({ 'docker-host': 'unix:///var/run/docker.sock' }))).toMatch(/^Next: dingo-recover volumes look \S+$/m);
  });
});

describe('renderLook', () => {
  it("keeps a database's, schema's and table's name to its line", () => {
    const text = renderLook({
      server: 'PostgreSQL 15',
      notes: [],
      databases: [
        {
          name: `app${FORGED_LINE}`,
          bytes: 8192,
          schemas: ['public'],
          largestTables: [{ schema: 'public', table: `t${FORGED_LINE}`, bytes: 8192, rows: 1, rowsExact: true, newest: null, note: null }],
          foreignTables: [],
          newest: null,
        },
      ],
    });
    expect(text).not.toMatch(/^1\. vol_other/m);
    expect(text.match(/\\n1\. vol_other/g)).toHaveLength(2);
  });
});

describe('a copy for volumes look', () => {
  it('is refused before a byte is written when the scratch disk would not hold it, naming the sizes', async () => {
    const found = await findVolumes({ volumesRoot: root });
    const v = found.candidates.find((c) => c.name === 'first')!;
    const scratch = mkdtempSync(join(tmpdir(), 'volumes-room-'));
    try {
      const huge = { ...v, postgres: { ...v.postgres!, sizeBytes: 2 ** 45 } };
      await expect(copyVolume(huge, scratch, new Date())).rejects.toThrow(
        /free; the copy of first's data folder takes its files' sizes, 32\.0 TiB \(a sparse file its whole size\)/,
      );
      expect(readdirSync(scratch)).toEqual([]);
      const copy = await copyVolume(v, scratch, new Date());
      expect(readdirSync(copy.copyDir).sort()).toEqual(['PG_VERSION', 'global']);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('names in the candidates', () => {
  const ANONYMOUS = 'a1'.repeat(32);
  const NAMED = 'shop_db-data-of-the-spring-release';
  let dir: string;
  let engine: FakeEngine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'volumes-names-'));
    // Two copies of one cluster (one system identifier) under names longer than 12 characters.
    for (const name of [ANONYMOUS, NAMED]) controlFileCluster(join(dir, name, '_data'), 6400000000000000046n);
    controlFileCluster(join(dir, 'labelled', '_data'), 6400000000000000047n);
    engine = await startFakeEngine({
      volumes: [
        {
          Name: 'labelled',
          Mountpoint: join(dir, 'labelled', '_data'),
          Labels: { 'com.docker.volume.anonymous': '' },
          CreatedAt: '2024-01-01T10:00:00Z',
        },
      ],
      containers: [],
      images: [],
    });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names copies of one cluster by their whole names', async () => {
    const text = renderFind(await findVolumes({ volumesRoot: dir }));
    expect(text).toContain(`same system identifier as ${NAMED}: copies of one cluster`);
    expect(text).toContain(`same system identifier as ${ANONYMOUS}: copies of one cluster`);
  });

  it('says an anonymous volume no container uses was left behind, by its name or its label', async () => {
    const left = '   anonymous, no container uses it: left by a `docker rm` or `compose down`';
    const text = renderFind(await findVolumes({ volumesRoot: dir }));
    const blockOf = (t: string, name: string): string => t.slice(t.indexOf(`. ${name}`)).split('\n\n')[0]!;
    expect(blockOf(text, ANONYMOUS)).toContain(left);
    expect(blockOf(text, NAMED)).not.toContain(left);
    expect(renderFind(await findVolumes({ engine: dockerEngine(engine.socket) }))).toContain(left);
  });
});
