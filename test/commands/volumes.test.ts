import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFind, renderLook, sourceFlags } from '../../src/commands/volumes.js';
import { findVolumes } from '../../src/volumes/find.js';
import { pgControl96 } from '../support/pg-volumes.js';

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
