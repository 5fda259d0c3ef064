/**
 * What moby's GET /volumes says, shown for what it is: a plugin's volume has an empty Mountpoint until
 * the plugin mounts it (volume/service/convert.go), a driver that fails to list adds a warning
 * (volume/service/store.go list), and the local driver's CreatedAt is its folder's ctime
 * (volume/local/local_unix.go), moved by every file made or removed there: no creation time.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { volumesActions } from '../../src/actions/volumes.js';
import { renderFind } from '../../src/commands/volumes.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { findVolumes } from '../../src/volumes/find.js';
import { startFakeEngine, type FakeEngine } from '../support/docker-engine-server.js';
import { controlFileCluster } from '../support/control-file-cluster.js';

const WARNING = 'rexray/efs: VolumeDriver.List: connection refused';
let root: string;
let engine: FakeEngine;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'engine-drivers-'));
  const data = join(root, 'pg', '_data');
  controlFileCluster(data);
  engine = await startFakeEngine({
    volumes: [
      { Name: 'pg', Mountpoint: data, Labels: null, CreatedAt: '2024-01-01T10:00:00Z' },
      { Name: 'ebs-db', Driver: 'rexray/ebs', Mountpoint: '', Options: { size: '100' }, Labels: null, CreatedAt: '2024-01-01T10:00:00Z' },
    ],
    containers: [],
    images: [],
    warnings: [WARNING],
  });
});

afterAll(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

describe("a plugin's volume and the Engine's warnings", () => {
  it("says a plugin's volume is in the plugin's storage, naming the driver, not that it is unreadable or empty", async () => {
    const r = await findVolumes({ engine: dockerEngine(engine.socket) });
    expect(r.candidates.map((c) => c.name)).toEqual(['pg']);
    expect(r.volumes.find((v) => v.name === 'ebs-db')).toMatchObject({
      kind: 'plugin',
      driver: 'rexray/ebs',
      detail: "driver rexray/ebs: its data lives in the plugin's storage, not readable here",
    });
    expect(renderFind(r)).toMatch(/^ {2}ebs-db\s+plugin: driver rexray\/ebs: its data lives in the plugin's storage, not readable here$/m);
  });

  it('shows the warnings of the list, saying it may be incomplete', async () => {
    const r = await findVolumes({ engine: dockerEngine(engine.socket) });
    expect(r.warnings).toEqual([WARNING]);
    expect(renderFind(r)).toContain(`WARNING: the Engine's list of volumes may be incomplete: it warns "${WARNING}"`);
    const notes: string[] = [];
    const ctx = {
      evidence: () => undefined,
      note: (t: string) => notes.push(t),
      progress: () => undefined,
      platform: { dockerEngine: (host: string) => dockerEngine(host) },
    } as unknown as StepContext;
    const step = volumesActions.find((a) => a.name === 'volumes.find')!;
    await step.run(ctx, { volumesRoot: [], dockerHost: `unix://${engine.socket}`, volume: [] }, {});
    expect(notes).toContain(`warning: the Engine's list of volumes may be incomplete: it warns "${WARNING}"`);
  });

  it('the double refuses an API version above its maximum, as moby does', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ socketPath: engine.socket, path: '/v1.99/volumes' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      })
        .on('error', reject)
        .end();
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ message: 'client version 1.99 is too new. Maximum supported API version is 1.43' });
  });
});

describe("a volume's time", () => {
  it("of the Engine's local driver is said to be its folder's last change, not its creation", async () => {
    const r = await findVolumes({ engine: dockerEngine(engine.socket) });
    expect(r.candidates[0]).toMatchObject({ createdAt: '2024-01-01T10:00:00Z', createdAtIs: 'ctime' });
    const text = renderFind(r);
    expect(text).toContain(', folder changed 2024-01-01T10:00:00Z (its ctime, not when it was made)');
    expect(text).not.toContain('created 2024-01-01T10:00:00Z');
  });

  it('of a folder of volumes is its creation only where the file system keeps a birth time', async () => {
    const r = await findVolumes({ volumesRoot: root });
    const born = statSync(join(root, 'pg')).birthtimeMs > 0;
    expect(r.candidates[0]!.createdAtIs).toBe(born ? 'birth' : 'ctime');
    expect(renderFind(r)).toMatch(born ? /, created \S+Z$/m : /, folder changed \S+Z \(its ctime, not when it was made\)$/m);
  });
});
