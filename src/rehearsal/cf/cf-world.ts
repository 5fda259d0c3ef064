/**
 * The state of the simulated cf CLI and Cloud Controller: orgs, spaces, apps, offerings and
 * service instances, as plain JSON the rehearsal saves between commands and processes.
 */
import type { LastOperation } from '../../adapters/cf/index.js';

export interface CfApp {
  name: string;
  guid: string;
  state: 'started' | 'stopped';
  createdAt?: string;
  /** Running instances (default 1). */
  instances?: number;
  boundServiceGuids: string[];
  /** How often the app was restarted or restaged, for tests and reports. */
  restarts?: number;
  restages?: number;
}

export interface CfSpace {
  name: string;
  guid: string;
  createdAt?: string;
  apps: CfApp[];
}

export interface CfOrg {
  name: string;
  guid: string;
  createdAt?: string;
  spaces: CfSpace[];
}

export interface CfOffering {
  label: string;
  guid: string;
  broker?: string;
  /** The broker's GUID in the Cloud Controller (service_broker_guid). */
  brokerGuid?: string;
  description?: string;
  /** The id in the broker's catalog (v2 `unique_id`, v3 `broker_catalog.id`); default the GUID. */
  brokerId?: string;
  createdAt?: string;
  plans: { name: string; guid: string; brokerId?: string; description?: string }[];
}

/**
 * One audit event as the Cloud Controller stores it (its `events` table). The v2 `/v2/events`
 * and v3 `/v3/audit_events` bodies are both rendered from it (cf-events.ts), so a scenario
 * writes each event once.
 */
export interface CfAuditEvent {
  guid: string;
  /** e.g. audit.space.delete-request, audit.service_instance.delete, audit.service_binding.create. */
  type: string;
  /** When the Cloud Controller recorded it (ISO, seconds: `2017-05-09T14:02:11Z`). */
  timestamp: string;
  /** The user (or broker) that acted: v2 actor, actor_type, actor_name (email), actor_username. */
  actor: { guid: string; type: string; name: string; username?: string };
  /** What it acted on: v2 actee, actee_type, actee_name; v3 target. */
  target: { guid: string; type: string; name: string };
  /** v2 `metadata`, v3 `data` (e.g. `{ request: { recursive: true } }`). */
  data: Record<string, unknown>;
  /** '' when the event belongs to no space (v3 renders `space: null`). */
  spaceGuid: string;
  /** '' when the event belongs to no organization. */
  orgGuid: string;
}

export interface CfServiceInstance {
  guid: string;
  name: string;
  spaceGuid: string;
  offering: string;
  plan: string;
  createdAt: string;
  lastOperation: LastOperation;
  /** Status reads left before the current operation finishes (0: the next read shows it finished). */
  pollsUntilReady: number;
  /** When set, the current operation ends `failed` with this description. */
  failWith?: string;
  parameters?: Record<string, unknown>;
}

export interface CfWorld {
  /** cf CLI version, e.g. "6.21.1+6fd3c9f-2016-08-10", "6.53.0+8e2b70a4a.2020-10-01", "8.9.1+6c6aa0f.2024-11-05". */
  version: string;
  /** Cloud Controller. `v3`/`v2` say whether it serves those service-instance endpoints (default both). */
  api: { url: string; version: string; v2?: boolean; v3?: boolean };
  user: string;
  /** Default true; false makes every command but `version` fail with "Not logged in". */
  loggedIn?: boolean;
  target: { org: string | null; space: string | null };
  orgs: CfOrg[];
  offerings: CfOffering[];
  instances: CfServiceInstance[];
  /** GUIDs handed to created instances, in order (random ones once it is empty). */
  nextInstanceGuids: string[];
  /** GUIDs handed to spaces `cf create-space` creates, in order (random ones once it is empty or absent). */
  nextSpaceGuids?: string[];
  /** The logged-in user's GUID, the actor of the audit events the simulated commands record. */
  userGuid?: string;
  /** The Cloud Controller's audit events, oldest first; commands that change the world add theirs. */
  events?: CfAuditEvent[];
  /** Status reads a create stays "in progress" for (default 2). */
  pollsPerCreate?: number;
  /** The next create ends in "create failed" with this description. */
  failNextCreate?: string;
  /** The broker refuses the next update with this description. */
  failNextUpdate?: string;
  /**
   * The nodes an update adds take longer to clone (wal-e backup-fetch of a large base backup) than the
   * broker waits for them: it adds them, then ends the update failed, saying it timed out, while they go
   * on and stream (dingo-postgresql-broker patroni/patroni.go WaitForAllMembers, 300 s).
   */
  cloneOutlastsBrokerWait?: boolean;
}

export interface CfHooks {
  onServiceCreated?(instance: CfServiceInstance): void;
  /** The broker received an update with these parameters; a text ends the update failed with it. */
  onServiceUpdated?(instance: CfServiceInstance, parameters: Record<string, unknown>): string | undefined;
  onAppRestarted?(app: CfApp): void;
  now?(): Date;
}
