/**
 * What `docker-compose down` leaves on a real Docker Engine: volumes made as docker-compose v1 makes
 * them (with its labels), written by real `postgres:15` containers (the image's entrypoint initialised
 * each cluster, in en_US.utf8) whose containers were then stopped and removed, volumes kept:
 *
 * - `shop_db-data`, named: the user's database `shop`, a table of orders;
 * - an anonymous volume (the image's VOLUME, a hex name): the empty cluster a later `up` without the
 *   named volume initialised (POSTGRES_HOST_AUTH_METHOD=trust), newer than the user's;
 * - `blog_pg-data`, named, of another project: a fresh initdb and nothing more;
 * - `shop_redis-data`: a Redis snapshot and append-only file;
 * - `shop_empty`: created, never written.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dockerd } from './dockerd.js';

export const ORDERS = 1000;

export interface ComposeVolumes {
  user: string;
  anonymous: string;
  fresh: string;
  redis: string;
  empty: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function composeLabels(project: string, volume: string): string[] {
  return [
    '--label',
    `com.docker.compose.project=${project}`,
    '--label',
    `com.docker.compose.volume=${volume}`,
    '--label',
    'com.docker.compose.version=1.29.2',
  ];
}

/** Waits until the image's entrypoint finished initialising and the final server accepts connections. */
async function ready(d: Dockerd, name: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // The container's stderr (the server's log) is docker logs' stderr.
    const r = spawnSync('docker', ['-H', d.host, 'logs', name]);
    const logs = `${String(r.stdout)}${String(r.stderr)}`;
    if (logs.includes('init process complete')) {
      try {
        d.docker(['exec', name, 'pg_isready', '-q', '-h', '/var/run/postgresql']);
        return;
      } catch {
        // Not yet.
      }
    }
    if (Date.now() > until) throw new Error(`${name} did not become ready:\n${logs}`);
    await sleep(250);
  }
}

/** A compose service's container: run, initialised by the image, `sql` run in it, stopped and removed (`down`). */
async function runAndDown(
  d: Dockerd,
  o: { project: string; service: string; volume?: string; env: string[]; db: string; sql?: string },
): Promise<string> {
  const name = `${o.project}_${o.service}_1`;
  d.docker([
    'run',
    '-d',
    '--network',
    'none',
    '--name',
    name,
    '--label',
    `com.docker.compose.project=${o.project}`,
    '--label',
    `com.docker.compose.service=${o.service}`,
    ...o.env.flatMap((e) => ['-e', e]),
    ...(o.volume ? ['-v', `${o.volume}:/var/lib/postgresql/data`] : []),
    'postgres:15',
  ]);
  await ready(d, name);
  if (o.sql)
    d.docker(
      ['exec', '-i', name, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/var/run/postgresql', '-U', 'postgres', '-d', o.db],
      o.sql,
    );
  const mounts = JSON.parse(d.docker(['inspect', '--format', '{{json .Mounts}}', name])) as { Name: string }[];
  d.docker(['stop', '-t', '30', name]);
  d.docker(['rm', name]);
  return mounts[0]!.Name;
}

function mountpoint(d: Dockerd, volume: string): string {
  return d.docker(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume]).trim();
}

export async function makeComposeVolumes(d: Dockerd): Promise<ComposeVolumes> {
  d.docker(['volume', 'create', ...composeLabels('shop', 'db-data'), 'shop_db-data']);
  const user = await runAndDown(d, {
    project: 'shop',
    service: 'db',
    volume: 'shop_db-data',
    env: ['POSTGRES_PASSWORD=shop-secret', 'POSTGRES_DB=shop'],
    db: 'shop',
    sql: `create table orders (id serial primary key, item text not null, placed timestamptz not null);
          insert into orders (item, placed) select 'item ' || g, timestamptz '2026-11-20 10:00:00+00' + g * interval '1 minute'
            from generate_series(1, ${ORDERS}) g;`,
  });
  // A later `up` that lost the named volume: the image's anonymous one, initialised afresh.
  const anonymous = await runAndDown(d, { project: 'shop', service: 'db', env: ['POSTGRES_HOST_AUTH_METHOD=trust'], db: 'postgres' });
  d.docker(['volume', 'create', ...composeLabels('blog', 'pg-data'), 'blog_pg-data']);
  const fresh = await runAndDown(d, {
    project: 'blog',
    service: 'pg',
    volume: 'blog_pg-data',
    env: ['POSTGRES_PASSWORD=blog'],
    db: 'postgres',
  });
  d.docker(['volume', 'create', ...composeLabels('shop', 'redis-data'), 'shop_redis-data']);
  const redis = mountpoint(d, 'shop_redis-data');
  writeFileSync(
    join(redis, 'dump.rdb'),
    Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xfa, 0x09]), Buffer.from('redis-ver'), Buffer.alloc(32)]),
  );
  writeFileSync(join(redis, 'appendonly.aof'), '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n');
  d.docker(['volume', 'create', ...composeLabels('shop', 'empty'), 'shop_empty']);
  return { user, anonymous, fresh, redis: 'shop_redis-data', empty: 'shop_empty' };
}

/** `docker volume inspect` of every volume, for comparing before and after. */
export function volumeMetadata(d: Dockerd): string {
  const names = d.docker(['volume', 'ls', '-q']).split(/\s+/).filter(Boolean).sort();
  return d.docker(['volume', 'inspect', ...names]);
}

/** The host folder of each volume, by name. */
export function mountpoints(d: Dockerd, names: string[]): Map<string, string> {
  return new Map(names.map((n) => [n, mountpoint(d, n)]));
}
