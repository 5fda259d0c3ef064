/**
 * The records steps hand each other, by shape (engine/runbook/shape.ts): declared here once, named in
 * the schemas of the actions that make and take them, and checked as they enter and leave each action.
 */
import { shape } from '../../engine/runbook/index.js';

/** A deleted instance considered and not chosen (logs.find-deleted → instance.confirm). */
export const SET_ASIDE = shape('set-aside candidate', { instanceGuid: 'string', serviceName: 'string', why: 'string' });

/** A Dingo instance a deleted space held, recoverable or not (space.find-instances → confirm-plan → the per-instance runbook → report). */
export const SPACE_INSTANCE = shape('space instance', {
  name: 'string',
  unnamed: 'boolean',
  instanceGuid: 'string',
  offering: 'string',
  plan: 'string',
  nodeCount: 'number?',
  nodeCountInput: 'string',
  archiveUrl: 'string?',
  lastSegment: 'string?',
  lastSegmentAt: 'string?',
  deletedAt: 'string',
  apps: 'string[]',
  /** The GUID of each of apps (a name, or a GUID no audit event names), when the audit events gave it. */
  appGuids: 'object?',
  evidence: 'string[]',
  recoverable: 'boolean',
  why: 'string',
});

/** An instance of a deleted space that is not recovered: another offering's, or gone before the space. */
export const LEFT_ALONE = shape('instance left alone', {
  name: 'string',
  instanceGuid: 'string',
  offering: 'string',
  plan: 'string',
  why: 'string',
});

/** A Docker volume holding a PostgreSQL data folder, as volumes.find ranks it. */
export const VOLUME_CANDIDATE = shape('PostgreSQL volume', {
  rank: 'number?',
  name: 'string',
  major: 'string?',
  sizeBytes: 'number?',
  userData: 'string?',
  checkpointAt: 'string?',
  state: 'string?',
  cleanShutdown: 'boolean?',
  compose: 'string?',
  usedBy: 'string?',
  binaries: 'string',
});

/**
 * An instance recovered, as recover-instance declares it (and recover-space-instance, for each
 * instance of a space): the fields are optional, as a failed recovery has only those of the steps
 * that finished.
 */
export const INSTANCE_RECOVERED = shape('instance recovered', {
  newGuid: 'string?',
  cellIp: 'string?',
  nodes: 'number?',
  bound: 'string[]?',
  missingApps: 'string[]?',
  lastSegmentAt: 'string?',
  quarantineUrl: 'string?',
  dataAside: 'string?',
});

/** A dump of a database, as volumes.dump and pitr.dump write it and the steps that verify or load it read it. */
export const DUMP = shape('dump', { database: 'string', file: 'string', bytes: 'number', rowCounts: 'number{}' });
