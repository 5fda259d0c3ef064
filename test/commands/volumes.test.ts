import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFind, sourceFlags } from '../../src/commands/volumes.js';
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
});
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

  it('prints a next command that reads the volumes where this one did', async () => {
    const r = await findVolumes({ volumesRoot: root });
    const viaRoot = renderFind(r, sourceFlags({ 'volumes-root': root, 'docker-host': 'unix:///var/run/docker.sock' }));
    expect(viaRoot).toMatch(new RegExp(`^Next: dingo-recover volumes look \\S+ --volumes-root ${root}$`, 'm'));
    const viaHost = renderFind(r, sourceFlags({ 'docker-host': 'tcp://10.0.0.5:2375' }));
    expect(viaHost).toMatch(/^Next: dingo-recover volumes look \S+ --docker-host tcp:\/\/10\.0\.0\.5:2375$/m);
    expect(renderFind(r, sourceFlags({ 'docker-host': 'unix:///var/run/docker.sock' }))).toMatch(/^Next: dingo-recover volumes look \S+$/m);
  });
});
