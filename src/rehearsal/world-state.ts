/**
 * The simulated platform's state, and the handle the parts that change it (the broker placing a
 * new instance, a container restoring on start) are given: they see this, not the whole World.
 */
import type { SimBuckets } from './memory-store.js';
import type { CfWorld } from './cf/index.js';
import type { BoshWorld } from './bosh-sim.js';
import type { CellWorld, Holdings } from './cell-world.js';

/** Roles and passwords of the databases the scenario knows, by system identifier. */
export interface SimDatabase {
  description: string;
  roles: Record<string, string>;
  /** What a server restored from its archive finds: each database's tables and rows (none given: no table of the tenant's). */
  holds?: Holdings;
}

export interface WorldState {
  version: 1;
  /** Monotonic clock of the simulated platform (ISO). */
  clock: string;
  cf: CfWorld;
  bosh: BoshWorld;
  cells: Record<string, CellWorld>;
  /** Syslog host name of each cell (its BOSH VM id), by IP. */
  cellHosts: Record<string, string>;
  etcd: Record<string, string>;
  /**
   * When each key etcd drops by itself expires (ISO), by key: the leader and member keys a killed
   * Patroni no longer refreshes (world-etcd.ts). Absent for a key a live node keeps refreshed.
   */
  etcdExpiry?: Record<string, string>;
  s3: SimBuckets;
  databases: Record<string, SimDatabase>;
  /** Where the simulated broker puts the next instances it creates, in order. */
  placements: Placement[];
  /** The system identifier of the database each container serves, by container name. */
  serving: Record<string, string>;
  /** Log lines the simulated platform wrote since the scenario began (also in world-syslog.log). */
  syslogAppended: number;
  /** Every change, for the rehearsal's report and for tests. */
  history: { at: string; system: string; what: string }[];
}

export interface Placement {
  nodeUuid: string;
  cellIp: string;
  containerId: string;
  hostPort: number;
  /** System identifier of the fresh database the container creates. */
  sysid: string;
  image: string;
  env: {
    ETCD_HOST_PORT: string;
    WAL_S3_BUCKET: string;
    AWS_REGION: string;
    AWS_ACCESS_KEY_ID: string;
    AWS_SECRET_ACCESS_KEY: string;
    /** The roles the broker gives the container; the 2016 broker gives none, and the image's defaults apply (adapters/container-roles.ts). */
    ADMIN_USERNAME?: string;
    ADMIN_PASSWORD?: string;
    SUPERUSER_USERNAME?: string;
    SUPERUSER_PASSWORD?: string;
    APPUSER_USERNAME?: string;
    APPUSER_PASSWORD?: string;
  };
}

/** What the simulated platform's moving parts may do to the world. */
export interface SimWorld {
  readonly state: WorldState;
  /** Advances the simulated clock by at least a millisecond and returns it. */
  tick(ms?: number): Date;
  /** Keeps a change in the world's history. */
  record(system: string, what: string): void;
  /** Writes syslog lines as the platform would (a host, a tag, one payload a line). */
  syslog(host: string, tag: string, payloads: string[]): void;
}
