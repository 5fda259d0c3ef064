/**
 * The parts of a snapshot's world the live platform cannot show yet: where the simulated broker
 * puts the instance a rehearsal creates (a placement on one of the platform's own cells), and the
 * roles of the archived databases, all with stand-in passwords.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Placement, SimDatabase } from '../rehearsal/world-state.js';
import type { SimBuckets } from '../rehearsal/memory-store.js';
import type { SimContainer } from '../rehearsal/cell-world.js';
import { envRecord } from '../adapters/docker-inspect.js';

/** The role names Dingo's broker gives its three roles, unless a container says otherwise. */
const DEFAULT_USERS = { admin: 'dingo-admin', superuser: 'pgsuper', app: 'appuser' };

export interface PlacementFacts {
  cellIp: string;
  bucket: string;
  region: string;
  etcdHostPort: string;
  /** A container of the platform, for its image and role names. */
  like?: SimContainer;
}

/** A PostgreSQL system identifier: 19 digits, as initdb makes them. */
const sysid = (): string => (6_000_000_000_000_000_000n + BigInt(`0x${randomBytes(7).toString('hex')}`)).toString();

function usersOf(like: SimContainer | undefined): typeof DEFAULT_USERS {
  const env = envRecord(like?.env ?? []);
  return {
    admin: env.ADMIN_USERNAME ?? DEFAULT_USERS.admin,
    superuser: env.SUPERUSER_USERNAME ?? DEFAULT_USERS.superuser,
    app: env.APPUSER_USERNAME ?? DEFAULT_USERS.app,
  };
}

export function placement(f: PlacementFacts, n: number): Placement {
  const users = usersOf(f.like);
  return {
    nodeUuid: randomUUID(),
    cellIp: f.cellIp,
    containerId: randomBytes(32).toString('hex'),
    hostPort: 32785 + n,
    sysid: sysid(),
    image: f.like?.image ?? 'cfcommunity/postgresql-patroni:latest',
    env: {
      ETCD_HOST_PORT: f.etcdHostPort,
      WAL_S3_BUCKET: f.bucket,
      AWS_REGION: f.region,
      AWS_ACCESS_KEY_ID: `AKIASTANDIN${String(n).padStart(9, '0')}`,
      AWS_SECRET_ACCESS_KEY: `stand-in-new-aws-secret-${String(n)}`,
      ADMIN_USERNAME: users.admin,
      ADMIN_PASSWORD: `stand-in-new-admin-password-${String(n)}`,
      SUPERUSER_USERNAME: users.superuser,
      SUPERUSER_PASSWORD: `stand-in-new-superuser-password-${String(n)}`,
      APPUSER_USERNAME: users.app,
      APPUSER_PASSWORD: `stand-in-new-app-password-${String(n)}`,
    },
  };
}

/** The database of every archive whose sysid was read, with its roles under stand-in passwords. */
export function archivedDatabases(s3: SimBuckets, like: SimContainer | undefined): Record<string, SimDatabase> {
  const users = usersOf(like);
  const out: Record<string, SimDatabase> = {};
  for (const [bucket, objects] of Object.entries(s3)) {
    for (const [key, o] of Object.entries(objects)) {
      const id = key.endsWith('/sysids/sysid') ? o.body?.trim() : undefined;
      if (!id || !/^\d+$/.test(id)) continue;
      out[id] = {
        description: `the database archived at s3://${bucket}/${key.slice(0, -'sysids/sysid'.length)} (stand-in passwords)`,
        roles: {
          [users.admin]: 'stand-in-old-admin-password',
          [users.superuser]: 'stand-in-old-superuser-password',
          [users.app]: 'stand-in-old-app-password',
        },
      };
    }
  }
  return out;
}
