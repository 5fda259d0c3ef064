/**
 * What a simulated patroni container answers about replication: the leader's pg_stat_replication
 * (from the standbys the simulated broker attached to it) and pg_controldata's system identifier
 * and recovery lines.
 */
import type { CommandResult } from '../core/seams.js';
import { DINGO_PGDATA } from '../adapters/pg-replication.js';

type Out = Omit<CommandResult, 'durationMs'>;

/** A standby attached to a simulated leader, as pg_stat_replication shows it. */
interface SimReplica {
  applicationName: string;
  clientAddr: string;
  state: 'startup' | 'catchup' | 'streaming';
}

/** The replication facts of a simulated container's database. */
export interface SimReplication {
  /** The database system identifier of its data directory (unset: none is known). */
  sysid?: string;
  /** Standbys connected to it while it leads. */
  replicas?: SimReplica[];
}

/** `psql -tA` rows of REPLICATION_QUERY. */
export function replicationRows(pg: SimReplication): Out {
  const rows = (pg.replicas ?? [])
    .slice()
    .sort((a, b) => a.applicationName.localeCompare(b.applicationName))
    .map((r) => `${r.applicationName}|${r.clientAddr}|${r.state}\n`);
  return { exitCode: 0, stdout: rows.join(''), stderr: '' };
}

/** What a control file says of recovery: the cluster's state, the latest checkpoint's timeline, and the minimum recovery point. */
export interface ControlRecovery {
  state: 'in production' | 'in archive recovery';
  checkpointTimeline: number;
  minRecovery: string;
  minRecoveryTimeline: number;
}

/** A cluster that never recovered, or whose last checkpoint came after its recovery ended: no minimum recovery point. */
export const IN_PRODUCTION: ControlRecovery = { state: 'in production', checkpointTimeline: 1, minRecovery: '0/0', minRecoveryTimeline: 0 };

/** `pg_controldata PGDATA`, in PostgreSQL 9.5's layout (pg_controldata.c: the lines the recovery reads, and a few around them). */
export function controlData(pg: SimReplication, pgdata: string | undefined, osUser: string, recovery = IN_PRODUCTION): Out {
  if (pgdata !== DINGO_PGDATA || pg.sysid === undefined) {
    return {
      exitCode: 1,
      stdout: '',
      stderr: `pg_controldata: could not open file "${pgdata ?? ''}/global/pg_control" for reading: No such file or directory\n`,
    };
  }
  if (osUser !== 'postgres' && osUser !== 'root') {
    return {
      exitCode: 1,
      stdout: '',
      stderr: `pg_controldata: could not open file "${pgdata}/global/pg_control" for reading: Permission denied\n`,
    };
  }
  const stdout = [
    'pg_control version number:            942',
    'Catalog version number:               201510051',
    `Database system identifier:           ${pg.sysid}`,
    `Database cluster state:               ${recovery.state}`,
    `Latest checkpoint's TimeLineID:       ${recovery.checkpointTimeline}`,
    `Minimum recovery ending location:     ${recovery.minRecovery}`,
    `Min recovery ending loc's timeline:   ${recovery.minRecoveryTimeline}`,
  ].join('\n');
  return { exitCode: 0, stdout: `${stdout}\n`, stderr: '' };
}
