import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { dockerEngine, socketPathOf } from '../../src/systems/docker-engine.js';
import { copyTree } from '../../src/volumes/copy.js';
import { findVolumes } from '../../src/volumes/find.js';
import { lookInside } from '../../src/volumes/look.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';
import { buildVolumesTree, manifest, type VolumesTree } from '../support/pg-volumes.js';
import { ifStarted } from '../support/started.js';

let tree: VolumesTree;
let engine: FakeEngine;
let scratch: string;
let before: Map<string, string>;

beforeAll(async () => {
  tree = await buildVolumesTree();
  before = manifest(tree.root);
  scratch = mkdtempSync(join(tmpdir(), 'engine-scratch-'));
  chmodSync(scratch, 0o755);
  const n = tree.names;
  engine = await startFakeEngine({
    volumes: Object.values(n).map((name, i) => ({
      Name: name,
      Mountpoint: join(tree.root, name, '_data'),
      CreatedAt: `2024-0${(i % 9) + 1}-01T10:00:00Z`,
      Labels: name === n.older ? { 'com.docker.compose.project': 'shop', 'com.docker.compose.volume': 'db-data' } : null,
    })),
    containers: [
      {
        Id: 'a'.repeat(64),
        Names: ['/shop_db_1'],
        Image: 'postgres:15',
        State: 'exited',
        Mounts: [
          { Type: 'volume', Name: n.older, Source: join(tree.root, n.older, '_data'), Destination: '/var/lib/postgresql/data', RW: true },
        ],
      },
    ],
    images: ['postgres:15'],
  });
}, 120_000);

afterAll(async () => {
  await engine.close();
  ifStarted(tree)?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** Looks inside a copy where no PostgreSQL server binaries are installed: only the Engine's postgres image can serve it. */
function lookWithoutBinaries(copy: string, major: string): ReturnType<typeof lookInside> {
  return lookInside({
    dataDir: copy,
    major,
    workDir: scratch,
    binRoot: mkdtempSync(join(scratch, 'nobin-')),
    engine: dockerEngine(engine.socket),
  });
}

/**
 * The Engine API as older Engines answer it (Labels null on containers, compose labels on some
 * volumes only), and the requests made, on the fake Engine API: what the real Engine
 * (real-engine.test.ts) cannot show. Containers run on the real one only.
 */
describe('the Docker Engine API', () => {
  it('lists volumes with compose labels and the containers using them, ranked as from a folder', async () => {
    const r = await findVolumes({ engine: dockerEngine(`unix://${engine.socket}`) });
    expect(r.source).toBe(`docker unix://${engine.socket}`);
    expect(r.candidates[0]!.name).toBe(tree.names.wanted);
    const older = r.volumes.find((v) => v.name === tree.names.older)!;
    expect(older).toMatchObject({
      compose: { project: 'shop', volume: 'db-data' },
      usedBy: [{ name: 'shop_db_1', state: 'exited', image: 'postgres:15' }],
      createdAt: '2024-01-01T10:00:00Z',
    });
    expect(engine.requests).toEqual(expect.arrayContaining(['GET /volumes', 'GET /containers/json?all=true']));
  });

  it('says what to pull when the image is missing too, and never pulls it', async () => {
    const copy = join(scratch, 'old');
    await copyTree(join(tree.root, tree.names.older, '_data'), copy);
    const err = await lookWithoutBinaries(copy, '14').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).hint).toContain('docker pull postgres:14');
    // Nothing pulled, nothing created.
    expect(engine.requests.filter((r) => r.startsWith('POST'))).toEqual([]);
  });

  it('refuses a Docker host that is not a unix socket, saying what to give', () => {
    expect(() => socketPathOf('tcp://10.0.0.1:2375')).toThrow(/is not a unix socket/);
  });

  it('left every original volume as it was', () => {
    expect(manifest(tree.root)).toEqual(before);
  });
});
