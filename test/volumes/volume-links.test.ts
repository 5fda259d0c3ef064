/**
 * A volume whose folder or `_data` a tenant made a link out of Docker's storage: listed as what it
 * is, never read, and refused to look at; through a folder of volumes and through the Engine, whose
 * Mountpoint must lie in its own volumes folder too.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFind } from '../../src/commands/volumes.js';
import { UsageError, StepFailed } from '../../src/core/errors.js';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { copyTree, digestTree } from '../../src/volumes/copy.js';
import { findVolumes } from '../../src/volumes/find.js';
import { chooseVolume } from '../../src/volumes/session.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';
import { controlFileCluster } from '../support/control-file-cluster.js';

let base: string;
let root: string;
let outside: string;
let engine: FakeEngine;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'volume-links-'));
  root = join(base, 'volumes');
  outside = join(base, 'root-only');
  controlFileCluster(outside);
  controlFileCluster(join(root, 'own', '_data'));
  symlinkSync(outside, join(root, 'folderlink'));
  mkdirSync(join(root, 'datalink'));
  symlinkSync(outside, join(root, 'datalink', '_data'));
  // A link whose name a tenant chose: its newline must not start a line of its own.
  mkdirSync(join(root, 'forged'));
  symlinkSync(`${outside}\n1. forged  PostgreSQL 15`, join(root, 'forged', '_data'));
  engine = await startFakeEngine({
    volumes: [
      ...['own', 'folderlink', 'datalink'].map((name) => ({
        Name: name,
        Mountpoint: join(root, name, '_data'),
        Labels: null,
        CreatedAt: '2024-01-01T10:00:00Z',
      })),
      { Name: 'elsewhere', Mountpoint: join(outside), Labels: null, CreatedAt: '2024-01-01T10:00:00Z' },
    ],
    containers: [],
    images: [],
  });
});

afterAll(async () => {
  await engine.close();
  rmSync(base, { recursive: true, force: true });
});

describe('a volume that is a link out of the volumes folder', () => {
  it('is passed over, saying where it leads and that it was not read, never read as a candidate', async () => {
    const r = await findVolumes({ volumesRoot: root });
    expect(r.candidates.map((c) => c.name)).toEqual(['own']);
    const by = Object.fromEntries(r.volumes.map((v) => [v.name, v]));
    expect(by.folderlink).toMatchObject({
      kind: 'link',
      detail: `its folder is a link out of the volumes folder to "${outside}": not followed, not read`,
    });
    expect(by.datalink).toMatchObject({
      kind: 'link',
      detail: `its _data is a link out of the volumes folder to "${outside}": not followed, not read`,
    });
    expect(by.folderlink!.postgres).toBeUndefined();
    expect(r.passedOver).toEqual([{ kind: 'link', count: 3 }]);
    const text = renderFind(r);
    expect(text).toMatch(/^ {2}datalink\s+link: its _data is a link out of the volumes folder to ".*root-only": not followed, not read$/m);
    expect(text).toContain(`its _data is a link out of the volumes folder to "${outside}\\n1. forged  PostgreSQL 15"`);
    expect(text).not.toMatch(/^1\. forged/m);
  });

  it('is refused by volumes look, naming the link', async () => {
    const r = await findVolumes({ volumesRoot: root });
    for (const name of ['folderlink', 'datalink']) {
      const err = (() => {
        try {
          return chooseVolume(r, name);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(
        new RegExp(`^volume ${name} was not read: its .* is a link out of the volumes folder to`),
      );
    }
  });

  it('is never copied nor digested through the link', async () => {
    const dest = join(base, 'copy');
    await expect(copyTree(join(root, 'datalink', '_data'), dest)).rejects.toThrow(StepFailed);
    await expect(copyTree(join(root, 'datalink', '_data'), dest)).rejects.toThrow(
      /is a symbolic link to ".*root-only": not followed, not read/,
    );
    await expect(digestTree(join(root, 'own', '_data'), join(root, 'folderlink'))).rejects.toThrow(/is a symbolic link/);
  });

  it("through the Engine: a Mountpoint out of the Engine's volumes folder, or a link there, is not read", async () => {
    const r = await findVolumes({ engine: dockerEngine(engine.socket) });
    expect(r.candidates.map((c) => c.name)).toEqual(['own']);
    const by = Object.fromEntries(r.volumes.map((v) => [v.name, v]));
    expect(by.elsewhere).toMatchObject({
      kind: 'link',
      detail: `the Engine says its data is at "${outside}", out of the local driver's volumes folder "${root}": not read`,
    });
    expect(by.datalink).toMatchObject({
      kind: 'link',
      detail: expect.stringContaining('its _data is a link out of the volumes folder') as unknown,
    });
    expect(by.folderlink).toMatchObject({
      kind: 'link',
      detail: expect.stringContaining('its folder is a link out of the volumes folder') as unknown,
    });
  });
});
