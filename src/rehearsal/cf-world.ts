/**
 * The state of the simulated cf CLI and Cloud Controller: orgs, spaces, apps, offerings and
 * service instances, as plain JSON the rehearsal saves between commands and processes.
 */
import type { LastOperation } from '../adapters/cf-types.js';

export interface CfApp {
  name: string;
  guid: string;
  state: 'started' | 'stopped';
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
  apps: CfApp[];
}

export interface CfOrg {
  name: string;
  guid: string;
  spaces: CfSpace[];
}

export interface CfOffering {
  label: string;
  guid: string;
  broker?: string;
  description?: string;
  plans: { name: string; guid: string }[];
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
  /** Status reads a create stays "in progress" for (default 2). */
  pollsPerCreate?: number;
  /** The next create ends in "create failed" with this description. */
  failNextCreate?: string;
  /** The broker refuses the next update with this description. */
  failNextUpdate?: string;
}

export interface CfHooks {
  onServiceCreated?(instance: CfServiceInstance): void;
  /** The broker received an update with these parameters; a text ends the update failed with it. */
  onServiceUpdated?(instance: CfServiceInstance, parameters: Record<string, unknown>): string | undefined;
  onAppRestarted?(app: CfApp): void;
  now?(): Date;
}
