/**
 * important-db while it is still alive, for the live runs that read a live instance (restore-to-time,
 * its merge back): cf knows it, and its leader's container runs on the cell, its environment saying
 * where it archives (WAL_S3_BUCKET) and who its roles are (the seed's, OLD_ROLES).
 */
import { join } from 'node:path';
import type { CfServiceInstance, CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { SimContainer } from '../../../src/rehearsal/cell-sim.js';
import { seedSpace } from './platform.js';
import { STORE_ROOT } from './servers.js';
import { OLD_GUID, OLD_ROLES } from './shared.js';

/** important-db's node on the cell, as the seed incident's logs have it. */
export const ALIVE_NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
/** Its leader's container. */
export const ALIVE_CONTAINER = `cf-${ALIVE_NODE}`;

/** The leader's container, archiving to `bucket` with the container's own AWS keys `aws`. */
export function aliveLeader(bucket: string, aws: { keyId: string; secret: string }): SimContainer {
  const env = {
    ETCD_HOST_PORT: '127.0.0.1:4001',
    AWS_ACCESS_KEY_ID: aws.keyId,
    AWS_SECRET_ACCESS_KEY: aws.secret,
    WAL_S3_BUCKET: bucket,
    AWS_REGION: 'us-east-1',
    PATRONI_SCOPE: OLD_GUID,
    NODE_ID: ALIVE_NODE,
    ADMIN_USERNAME: 'dingo-admin',
    ADMIN_PASSWORD: OLD_ROLES['dingo-admin']!,
    SUPERUSER_USERNAME: 'pgsuper',
    SUPERUSER_PASSWORD: OLD_ROLES.pgsuper!,
    APPUSER_USERNAME: 'appuser',
    APPUSER_PASSWORD: OLD_ROLES.appuser!,
  };
  return {
    id: `c8ce128e${'7b4c'.repeat(14)}`,
    name: ALIVE_CONTAINER,
    image: 'cfcommunity/postgresql-patroni:9.5',
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    mounts: [{ Source: join(STORE_ROOT, ALIVE_CONTAINER, 'data'), Destination: '/data', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: '2016-03-16T18:50:09Z',
    finishedAt: '0001-01-01T00:00:00Z',
    logs: [],
    pg: { ready: true, inRecovery: false, pollsUntilPromoted: 0, roles: { ...OLD_ROLES } },
  };
}

/** important-db as cf knows it while it is alive. */
export function importantDb(): CfServiceInstance {
  return {
    guid: OLD_GUID,
    name: 'important-db',
    spaceGuid: seedSpace().spaceGuid,
    offering: 'dingo-postgresql95',
    plan: 'cluster',
    createdAt: '2016-03-16T18:50:00Z',
    lastOperation: {
      type: 'create',
      state: 'succeeded',
      description: '',
      createdAt: '2016-03-16T18:50:00Z',
      updatedAt: '2016-03-16T18:50:10Z',
    },
    pollsUntilReady: 0,
  };
}

/** The seed's cf before the deletion: important-db alive, the seed's apps named in `bound` bound to it. */
export function stillAlive(w: CfWorld, bound: readonly string[] = []): CfWorld {
  for (const sp of w.orgs.flatMap((o) => o.spaces)) {
    for (const app of sp.apps) if (bound.includes(app.name)) app.boundServiceGuids = [OLD_GUID];
  }
  w.instances.push(importantDb());
  return w;
}

/** restore-to-time's answers for important-db to `targetTime`, then the `more` input lines (`  key: value`). */
export function importantDbAnswers(targetTime: Date, more: readonly string[]): string {
  return [
    'inputs:',
    '  org: acme',
    '  space: important-space-and-all-databases',
    '  instance: important-db',
    `  targetTime: "${targetTime.toISOString()}"`,
    ...more,
    '',
  ].join('\n');
}
