/** The events the log parsers read from the line families that identify a Dingo PostgreSQL instance. */

export type LogEvent =
  | BrokerEvent
  | { kind: 'haproxy'; state: 'md5' | 'out-of-sync' | 'updated'; time: Date | null }
  | { kind: 'container-creating'; nodeUuid: string }
  | { kind: 'container-options'; nodeUuid: string | null; patroniScope: string | null }
  | {
      kind: 'public-address';
      ip: string;
      port: string | null;
      format: 'march-2016' | 'july-2016';
      /** The process that logged it (`startup` in images from May 2016), null without a prefix. */
      component: string | null;
      /** The first six characters of PATRONI_SCOPE before the component (images from May 2016), else null. */
      scope6: string | null;
    }
  | { kind: 'etcd-lookup'; cellHost: string; nodeUuid: string }
  | WaleEvent
  | ContainerEvent;

export interface BrokerEvent {
  kind: 'broker';
  /** `patroni-broker` (March 2016) or `dingo-postgresql-broker` (2017). */
  source: string;
  /** The message without its source prefix, e.g. `cluster.remove-node.perform`. */
  action: string;
  time: Date | null;
  data: Record<string, unknown>;
}

export interface WaleEvent {
  kind: 'wale';
  action: 'push-wal' | 'base-backup' | 'sysid' | 'wal-fetch';
  state: 'begin' | 'complete' | null;
  /** `s3://bucket/backups/<guid>/wal/` */
  archivePrefix: string;
  instanceGuid: string;
  time: Date | null;
  /** The first six characters of PATRONI_SCOPE the container put before the line, if any. */
  scope6: string | null;
}

export interface ContainerEvent {
  kind: 'container';
  /** patroni, backup, startup, restore_leader_if_missing, shutdown... */
  component: string;
  /** The first six characters of PATRONI_SCOPE that newer images put before the component. */
  scope6: string | null;
  text: string;
  milestone: 'restore-prepared' | 'bootstrap-without-leader' | 'promoted' | 'sysid-mismatch' | 'end-of-archive' | null;
}
