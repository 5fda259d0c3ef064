/**
 * `volumes find`, `volumes look` and the dump on a real Docker Engine (a private dockerd, started by
 * this file), after a real compose-style `down`: the volumes were written by real `postgres:15`
 * containers (initialised by the image's entrypoint, in en_US.utf8, which this machine lacks) that
 * were then removed. The look's local PostgreSQL 15 cannot open such a copy, so it runs in the image,
 * whose container is inspected while it runs.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/systems/docker-engine.js';
import { StepFailed } from '../../src/core/errors.js';
import { copyTree } from '../../src/volumes/copy.js';
import { findVolumes } from '../../src/volumes/find.js';
import { lookInside } from '../../src/volumes/look.js';
import { startScratchServer } from '../../src/volumes/scratch-server.js';
import { makeComposeVolumes, mountpoints, ORDERS, volumeMetadata, type ComposeVolumes } from '../support/compose-volumes.js';
import { runCli } from '../support/cli.js';
import { allContainers, skipWithoutDockerd, startDockerd, watchRunning, type Dockerd } from '../support/dockerd.js';
import { importPostgresImage } from '../support/pg-image-build.js';
import { manifest } from '../support/pg-volumes.js';
import { expectHardened } from '../support/hardened.js';
import { ifStarted } from '../support/started.js';

const skip = skipWithoutDockerd();

let d: Dockerd;
let vols: ComposeVolumes;
let scratch: string;
let contents: () => Map<string, Map<string, string>>;
let before: { contents: Map<string, Map<string, string>>; metadata: string };

beforeAll(async () => {
  if (skip) return;
  d = await startDockerd();
  importPostgresImage(d, '15');
  vols = await makeComposeVolumes(d);
  const folders = mountpoints(d, Object.values(vols));
  contents = () => new Map([...folders].map(([name, dir]) => [name, manifest(dir)]));
  before = { contents: contents(), metadata: volumeMetadata(d) };
  scratch = mkdtempSync(join(tmpdir(), 'real-engine-look-'));
  // The local postgres account, which tries the copy first, must pass through it.
  chmodSync(scratch, 0o755);
}, 300_000);

afterAll(async () => {
  await ifStarted(d)?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A copy of 15 in WORK, where no local binaries are (an empty binaries folder): the image runs it. */
const inImage = (copy: string, work: string) => ({
  dataDir: copy,
  major: '15',
  workDir: work,
  binRoot: mkdtempSync(join(scratch, 'nobin-')),
  engine: dockerEngine(d.host),
});

describe.skipIf(skip)('volumes on a real Docker Engine after a compose-style down', () => {
  it('finds every volume, ranks the user’s database first and names the rest', async () => {
    const r = await findVolumes({ engine: dockerEngine(d.host) });
    expect(r.candidates.map((c) => c.name)).toEqual([vols.user, expect.any(String), expect.any(String)]);
    expect(new Set(r.candidates.map((c) => c.name))).toEqual(new Set([vols.user, vols.anonymous, vols.fresh]));
    const byName = new Map(r.volumes.map((v) => [v.name, v]));
    expect(byName.get(vols.user)).toMatchObject({ kind: 'postgresql', compose: { project: 'shop', volume: 'db-data' }, usedBy: [] });
    expect(byName.get(vols.anonymous)!.name).toMatch(/^[0-9a-f]{64}$/);
    expect(byName.get(vols.anonymous)!.kind).toBe('postgresql');
    expect(byName.get(vols.redis)!.kind).toBe('redis');
    expect(byName.get(vols.empty)!.kind).toBe('empty');
    expect(r.passedOver).toEqual(
      expect.arrayContaining([
        { kind: 'redis', count: 1 },
        { kind: 'empty', count: 1 },
      ]),
    );
  });

  it('looks inside the user’s volume and dumps it through the image when the local server lacks the locale', async () => {
    const out = join(scratch, 'dumps');
    const watch = watchRunning(d, 'dingo-recover.purpose');
    const r = await runCli(
      ['volumes', 'look', vols.user, '--docker-host', d.host, '--scratch', join(scratch, 'copy'), '--dump', 'shop', '--out', out, '--json'],
      { timeoutMs: 300_000 },
    );
    const seen = await watch.stop();
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.look.server).toMatch(/^container postgres:15 \([0-9a-f]{12}\)$/);
    expect(result.look.notes.join('\n')).toMatch(/could not open the copy .*en_US\.utf8.*so the postgres:15 image ran it/);
    const shop = result.look.databases.find((db: { name: string }) => db.name === 'shop');
    expect(shop.largestTables[0]).toMatchObject({ table: 'orders', rows: ORDERS, rowsExact: true });
    expect(result.dumps[0]).toMatchObject({ database: 'shop' });
    expect(result.dumps[0].rowCounts).toEqual(expect.objectContaining({ 'public.orders': ORDERS }));
    expect(result.checks[0]).toMatchObject({ database: 'shop', restored: true, differences: [], tables: 1 });
    expect(result.originalUnchanged).toBe(true);
    // One container for the look and one for the dump, each hardened while it ran, and removed after.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const c of seen) expectHardened(c);
    expect(allContainers(d)).toEqual([]);
  }, 300_000);

  it('runs the copy in the image when its major is not installed here, sandboxed on its command line, as its own account, whatever the scratch folder’s depth', async () => {
    // About 200 characters: a socket folder there would pass the 107 bytes of a Unix socket's path, but the socket's path is the container's.
    const work = join(scratch, 'n'.repeat(Math.max(1, 200 - scratch.length)));
    mkdirSync(work);
    const copy = join(work, 'data');
    await copyTree(mountpoints(d, [vols.user]).get(vols.user)!, copy);
    const watch = watchRunning(d, 'dingo-recover.purpose');
    const look = await lookInside(inImage(copy, work));
    const [c, ...more] = await watch.stop();
    expect(more).toEqual([]);
    expect(look.server).toMatch(/^container postgres:15 /);
    expect(look.databases.map((db) => db.name)).toContain('shop');
    expectHardened(c!);
    const [data, socket, passwd, group, auth, ...binds] = c!.HostConfig.Binds ?? [];
    expect(data).toBe(`${copy}:/var/lib/postgresql/data`);
    expect(socket).toMatch(new RegExp(`^${work}/sock-[^/]+:/var/run/postgresql$`));
    // The account of the server's sandbox, a uid of its own, its name in the passwd the container is given; its login rules read-only.
    expect(c!.Config.User).toMatch(/^(\d+):\1$/);
    expect(Number(c!.Config.User.split(':')[0])).toBeGreaterThanOrEqual(0x70000000);
    expect(passwd).toMatch(/:\/etc\/passwd:ro$/);
    expect(group).toMatch(/:\/etc\/group:ro$/);
    expect(auth).toMatch(/:\/etc\/dingo-recover:ro$/);
    expect(binds).toEqual([]);
    // The copy's own commands and libraries are overridden on the command line, which wins over its configuration files.
    for (const setting of [
      'listen_addresses=',
      'unix_socket_directories=/var/run/postgresql',
      'unix_socket_permissions=0700',
      'shared_preload_libraries=',
      'session_preload_libraries=',
      'archive_mode=off',
      'archive_command=',
      'restore_command=',
      'ssl=off',
      'data_directory=/var/lib/postgresql/data',
    ])
      expect(c!.Config.Cmd).toContain(setting);
    expect(allContainers(d)).toEqual([]);
  }, 300_000);

  /**
   * What starting the image's server on a copy that says it is a cluster of 15 and holds nothing else
   * (but `conf`, its postgresql.conf, when given) throws. Its start timeout is longer than a server
   * takes to exit, far shorter than a test's time: the refusal must not wait it out.
   */
  async function refusedCopy(prefix: string, conf?: string): Promise<unknown> {
    const work = mkdtempSync(join(scratch, prefix));
    const copy = join(work, 'data');
    mkdirSync(copy);
    writeFileSync(join(copy, 'PG_VERSION'), '15\n');
    if (conf !== undefined) writeFileSync(join(copy, 'postgresql.conf'), conf);
    return startScratchServer({ ...inImage(copy, work), startTimeoutSeconds: 120 }).catch((e: unknown) => e);
  }

  it('says at once why the image did not serve a copy it cannot start, in the container’s own last lines, and leaves no container', async () => {
    const refused = await refusedCopy('unstartable-');
    expect(refused).toBeInstanceOf(StepFailed);
    expect((refused as StepFailed).message).toBe('postgres:15 stopped on the copy before it accepted connections');
    expect((refused as StepFailed).hint).toBe(
      `the original volume was not touched; the container's last lines:\npostgres: could not access the server configuration file "/var/lib/postgresql/data/postgresql.conf": No such file or directory`,
    );
    expect(allContainers(d)).toEqual([]);
  }, 300_000);

  it("shows each of the container's last lines cut short, however long a name the copy's settings gave it", async () => {
    // The tenant's postgresql.conf names a setting of 5,000 characters: PostgreSQL quotes it whole, then stops.
    const refused = await refusedCopy('long-setting-', `${'x'.repeat(5000)} = 1\n`);
    expect(refused).toBeInstanceOf(StepFailed);
    const [first, ...lines] = (refused as StepFailed).hint!.split('\n');
    expect(first).toBe("the original volume was not touched; the container's last lines:");
    expect(lines.some((l) => l.includes('x'.repeat(200)))).toBe(true);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(300);
    expect(lines.some((l) => l.endsWith('…'))).toBe(true);
    expect(allContainers(d)).toEqual([]);
  }, 300_000);

  it('changed nothing in any volume: contents and metadata as before', () => {
    expect(contents()).toEqual(before.contents);
    expect(volumeMetadata(d)).toBe(before.metadata);
  });
});
