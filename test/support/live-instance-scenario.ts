/**
 * The seed incident before the deletion: cf still knows important-db, and its container runs on its
 * cell as the broker logged it. restore-to-time finds such an instance through cf and its
 * container's environment, and must only read it.
 */
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from './cli.js';
import { archiveKeys, generateWaleArchive, type GeneratedArchive, type GenerateOptions } from './wale-archive.js';

/** important-db, and the node of its container. */
export const LIVE_GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
export const LIVE_NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
/** Another instance's container on the same cell, which the live one is modelled on. */
const OTHER = 'cf-e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b';

interface Container {
  id: string;
  env: string[];
  [field: string]: unknown;
}

const PATRONI_15 = 'cfcommunity/postgresql-patroni:15';

/** Writes the live-instance scenario into DIR/live (a copy of fixtures/seed-003) and returns its folder. */
export async function liveInstanceScenario(dir: string): Promise<string> {
  const scenario = join(dir, 'live');
  await cp(join(ROOT, 'fixtures/seed-003'), scenario, { recursive: true });
  const file = join(scenario, 'scenario.yaml');
  const doc = parse(await readFile(file, 'utf8')) as {
    world: { cf: { instances: object[] }; cells: Record<string, { containers: Record<string, Container> }> };
  };
  doc.world.cf.instances.push({
    guid: LIVE_GUID,
    name: 'important-db',
    spaceGuid: '5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40',
    offering: 'dingo-postgresql95',
    plan: 'cluster',
    createdAt: '2016-03-16T18:50:00Z',
    lastOperation: { type: 'create', state: 'succeeded', description: '', updatedAt: '2016-03-16T18:50:10Z' },
    pollsUntilReady: 0,
  });
  const cell = doc.world.cells['10.58.111.150'];
  const other = cell!.containers[OTHER]!;
  const name = `cf-${LIVE_NODE}`;
  cell!.containers[name] = {
    ...other,
    id: `7e${other.id.slice(2)}`,
    name,
    env: other.env.map((e) => e.replace('d2c4e6f8-1a3b-4c5d-9e7f-0a1b2c3d4e5f', LIVE_GUID).replace(OTHER.slice(3), LIVE_NODE)),
    mounts: [{ Source: `/var/vcap/store/cf-containers-broker/${name}/data`, Destination: '/data', Mode: '', RW: true }],
  };
  await writeFile(file, stringify(doc));
  return scenario;
}

/**
 * The live-instance scenario whose archive really restores: a PostgreSQL 15 archive generated here,
 * and the platform's patroni image one of PostgreSQL 15 (the live instance's, the broker's next ones)
 * (a base backup of 100 rows, then two batches of 10 rows committed about a second apart, unless
 * `generate` says otherwise: a bad write after them) takes the place of the 9.5 one, each object's
 * body a file of the scenario. restore-to-time restores it on this machine, dumps it and loads the
 * dump into the copy.
 */
export async function restorableLiveScenario(
  dir: string,
  generate: Omit<GenerateOptions, 'dir'> = { rowsBefore: 100, rowsAfter: 0, batches: { count: 2, rows: 10 } },
): Promise<{ scenario: string; archive: GeneratedArchive }> {
  const scenario = await liveInstanceScenario(dir);
  const work = join(dir, 'archive');
  await mkdir(work, { recursive: true });
  // The generating server runs as PostgreSQL's account, which must reach its folder.
  await chmod(dir, 0o755);
  const archive = await generateWaleArchive({ ...generate, dir: work });
  const file = join(scenario, 'scenario.yaml');
  const doc = parse(await readFile(file, 'utf8')) as {
    world: {
      s3: Record<string, Record<string, object>>;
      cells: Record<string, { containers: Record<string, Container> }>;
      placements: { image: string }[];
    };
  };
  // The platform runs PostgreSQL 15, as the archive's instance did: its containers and those the broker makes next.
  doc.world.cells['10.58.111.150']!.containers[`cf-${LIVE_NODE}`]!.image = PATRONI_15;
  for (const p of doc.world.placements) p.image = PATRONI_15;
  const prefix = `backups/${LIVE_GUID}/wal/`;
  // The 9.5 archive's objects give way to the generated one's.
  const bucket = Object.fromEntries(Object.entries(doc.world.s3['our-postgresql-backups']!).filter(([key]) => !key.startsWith(prefix)));
  doc.world.s3['our-postgresql-backups'] = bucket;
  for (const key of await archiveKeys(archive.root)) {
    const from = join(archive.root, key);
    const bodyFile = join('s3', prefix, key);
    await mkdir(dirname(join(scenario, bodyFile)), { recursive: true });
    // Written anew, so the file is ours: Node 22's copyFile keeps the owner of the generating server's file.
    const body = await readFile(from);
    await writeFile(join(scenario, bodyFile), body);
    const md5 = createHash('md5').update(body).digest('hex');
    bucket[prefix + key] = { size: body.length, etag: md5, lastModified: (await stat(from)).mtime.toISOString(), bodyFile };
  }
  await writeFile(file, stringify(doc));
  return { scenario, archive };
}
