/**
 * What the simulated broker behind the live test's fake `cf` needs to create instances on the
 * real parts: the platform's places (shared by every instance) and, for each instance GUID the
 * case's cf hands out, that instance's own node, container, host port, database and credentials.
 * Keyed by GUID, so two `cf create-service` running at once each find their own.
 *
 * Kept free of test-runner imports: bundled into the fake `cf`'s hooks (esbuild).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerGeneration } from '../../../src/rehearsal/broker-generation.js';

/** One instance the broker will create: everything that is its own. */
export interface NewInstanceConfig {
  /** The node (container cf-<node>) the broker schedules for it. */
  nodeUuid: string;
  containerId: string;
  hostPort: number;
  /** System identifier of the fresh database its container bootstraps. */
  sysid: string;
  /** Container environment: ETCD_HOST_PORT, WAL_S3_BUCKET, AWS_*, *_USERNAME/*_PASSWORD. */
  env: Record<string, string>;
}

export interface BrokerConfig {
  /** The cell's fake docker state (cell-world.json next to the --host socket path). */
  dockerState: string;
  /** The platform syslog file the broker and the new containers log to. */
  logFile: string;
  etcdUrl: string;
  s3Endpoint: string;
  /** Where cf-containers-broker keeps container volumes on the cell. */
  storeRoot: string;
  cellIp: string;
  cellHost: string;
  /** The broker the platform's Dingo release runs (absent: the seed's, the 2016 broker). */
  generation?: BrokerGeneration;
  /** The broker's syslog host (its router VM). */
  routerHost: string;
  /** By the GUID cf gives the instance (the case's nextInstanceGuids). */
  instances: Record<string, NewInstanceConfig>;
  /**
   * A bucket the new container's tenant names in a line of their own before wal-e's first upload,
   * as if the instance archived there (a forged `upload:` line: the tenant controls what it logs).
   */
  forgedBucket?: string;
  /** The forged line is the only one naming an archive that the logs show: wal-e's own lines of the container are not in them. */
  forgedOnly?: boolean;
}

export const BROKER_CONFIG_ENV = 'DINGO_LIVE_BROKER_CONFIG';

export function readBrokerConfig(): BrokerConfig {
  const file = process.env[BROKER_CONFIG_ENV];
  if (!file) throw new Error(`${BROKER_CONFIG_ENV} is not set`);
  return JSON.parse(readFileSync(file, 'utf8')) as BrokerConfig;
}

/** The configuration of the instance cf created with this GUID. */
export function instanceConfig(c: BrokerConfig, guid: string): NewInstanceConfig {
  const found = c.instances[guid];
  if (!found) {
    const known = Object.keys(c.instances).join(', ');
    throw new Error(
      `the live broker has no configuration for instance ${guid}: the case prepared ${known}; ` +
        'give the case as many new instances as the run creates',
    );
  }
  return found;
}

export const containerName = (n: NewInstanceConfig): string => `cf-${n.nodeUuid}`;

/** The container's /data on the cell (this machine's filesystem). */
export const dataDirOf = (c: BrokerConfig, n: NewInstanceConfig): string => join(c.storeRoot, containerName(n), 'data');

/** The AWS credentials wal-e uses in the container. */
export function containerCredentials(env: Record<string, string>): { accessKeyId: string; secretAccessKey: string; region: string } {
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    region: env.AWS_REGION ?? 'us-east-1',
  };
}
