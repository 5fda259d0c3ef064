/**
 * The cf CLI's service commands as each era prints them: `cf service NAME` and
 * `cf create-service` with its failures (see cf-formats.ts for the eras).
 */
import { type CfWho, type LastOperation, type Rendered, cfEra } from '../../adapters/cf/index.js';
import { keyValues, ok, padTable, renderFailure } from './cf-text.js';

/** Exit 1 with the era's "not found" text (`cf service NAME` and `--guid`). */
export function renderServiceNotFound(version: string, name: string): Rendered {
  return cfEra(version) === 'v8'
    ? renderFailure(version, `Service instance '${name}' not found`)
    : renderFailure(version, `Service instance ${name} not found`);
}

export interface ServiceView {
  name: string;
  guid: string;
  offering: string;
  plan: string;
  broker: string;
  description: string;
  lastOperation: LastOperation;
  boundApps: string[];
}

/** `cf service NAME`: info, then the status of the last operation, then bound apps. */
export function renderService(version: string, who: CfWho, s: ServiceView): Rendered {
  const era = cfEra(version);
  if (era === 'legacy') return ok(legacyService(s));
  return ok(era === 'v6' ? v6Service(who, s) : v8Service(who, s));
}

/** The last operation's rows, keyed in the era's spelling (`Status` in legacy, `status` later). */
function operationRows(op: LastOperation, capitalised: boolean): [string, string][] {
  const rows: [string, string][] = [
    ['status', `${op.type} ${op.state}`],
    ['message', op.description],
    ['started', op.createdAt],
    ['updated', op.updatedAt],
  ];
  return capitalised ? rows.map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), v]) : rows;
}

function bindingRows(s: ServiceView): string[][] {
  return [['name', 'binding name', 'status', 'message'], ...s.boundApps.map((a) => [a, '', 'create succeeded', ''])];
}

/** ≤6.32 (`cf/commands/service`). */
function legacyService(s: ServiceView): string {
  return (
    '\n' +
    keyValues([
      ['Service instance', s.name],
      ['Service', s.offering],
      ['Bound apps', s.boundApps.join(', ')],
      ['Tags', ''],
      ['Plan', s.plan],
      ['Description', s.description],
      ['Documentation url', ''],
      ['Dashboard', ''],
    ]) +
    '\nLast Operation\n' +
    keyValues(operationRows(s.lastOperation, true))
  );
}

/** 6.33–7.x (`command/v6`). */
function v6Service(who: CfWho, s: ServiceView): string {
  const bound = s.boundApps.length ? `bound apps:\n${padTable(bindingRows(s))}` : 'There are no bound apps for this service.\n';
  return (
    `Showing info of service ${s.name} in org ${who.org} / space ${who.space} as ${who.user}...\n\n` +
    keyValues([
      ['name', s.name],
      ['service', s.offering],
      ['tags', ''],
      ['plan', s.plan],
      ['description', s.description],
      ['documentation', ''],
      ['dashboard', ''],
      ['service broker', s.broker],
    ]) +
    `\nShowing status of last operation from service ${s.name}...\n\n` +
    keyValues(operationRows(s.lastOperation, false)) +
    '\n' +
    bound
  );
}

/** 8.x (`command/v7`). */
function v8Service(who: CfWho, s: ServiceView): string {
  const bound = s.boundApps.length
    ? `Showing bound apps:\n${padTable(bindingRows(s), '   ')}`
    : 'Showing bound apps:\n   There are no bound apps for this service instance.\n';
  return (
    `Showing info of service instance ${s.name} in org ${who.org} / space ${who.space} as ${who.user}...\n\n` +
    keyValues([
      ['name', s.name],
      ['guid', s.guid],
      ['type', 'managed'],
      ['broker', s.broker],
      ['offering', s.offering],
      ['plan', s.plan],
      ['tags', ''],
      ['description', s.description],
      ['documentation', ''],
      ['dashboard url', ''],
    ]) +
    '\nShowing status of last operation:\n' +
    keyValues(operationRows(s.lastOperation, false), '   ') +
    '\n' +
    bound +
    '\nShowing sharing info:\n   This service instance is not shared.\n\nShowing upgrade status:\n   There is no upgrade available for this service.\n'
  );
}

/**
 * `cf create-service`. `outcome` "exists" is the exit-0 trap: every era prints OK and
 * "already exists" when the name is taken. "failed" only happens with v8's `--wait`.
 */
export function renderCreateService(
  version: string,
  who: CfWho,
  name: string,
  outcome: 'in progress' | 'created' | 'exists' | 'failed',
  failure = '',
): Rendered {
  const era = cfEra(version);
  const preamble = createPreamble(who, name);
  const inProgress = `Create in progress. Use 'cf services' or 'cf service ${name}' to check operation status.\n`;
  if (outcome === 'exists') {
    return ok(`${preamble}OK\n\n${era === 'v8' ? `Service instance ${name} already exists` : `Service ${name} already exists`}\n`);
  }
  if (era !== 'v8') return ok(`${preamble}OK\n\n${outcome === 'created' ? '' : inProgress}`);
  if (outcome === 'failed')
    return renderFailure(version, `Job failed: ${failure}`, `${preamble}\nWaiting for the operation to complete....\n`);
  if (outcome === 'created') return ok(`${preamble}\nWaiting for the operation to complete....\nService instance ${name} created.\nOK\n`);
  return ok(`${preamble}\n${inProgress}OK\n`);
}

/** What `cf create-service` says before its outcome, in every era. */
function createPreamble(who: CfWho, name: string): string {
  return `Creating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
}

/** cf before 8 asked for a name taken under another plan: the Cloud Controller's refusal (v2 error 60002), exit 1. */
export function renderNameTaken(version: string, who: CfWho, name: string): Rendered {
  return renderFailure(
    version,
    `Server error, status code: 400, error code: 60002, message: The service instance name is taken: ${name}`,
    createPreamble(who, name),
  );
}

export function renderOfferingNotFound(version: string, who: CfWho, name: string, offering: string): Rendered {
  const preamble = createPreamble(who, name);
  return cfEra(version) === 'v8'
    ? renderFailure(version, `Service offering '${offering}' not found.`, preamble)
    : renderFailure(version, `Service offering ${offering} not found`, preamble);
}

export function renderPlanNotFound(version: string, who: CfWho, name: string, offering: string, plan: string): Rendered {
  const preamble = createPreamble(who, name);
  return cfEra(version) === 'v8'
    ? renderFailure(version, `The plan '${plan}' could not be found for service offering '${offering}'.`, preamble)
    : renderFailure(version, `Could not find plan named ${plan} for service ${offering}`, preamble);
}

// `cf update-service NAME -c JSON` in the three output eras (cf-bosh-docker-formats §1.5).

/** What `cf update-service` prints once the Cloud Controller accepted the update. */
export function renderUpdateService(version: string, who: CfWho, name: string): Rendered {
  const inProgress = `Update in progress. Use 'cf services' or 'cf service ${name}' to check operation status.\n`;
  if (cfEra(version) === 'v8') {
    return ok(`Updating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n\n${inProgress}OK\n`);
  }
  return ok(`Updating service instance ${name} as ${who.user}...\nOK\n\n${inProgress}`);
}

/** The preamble `cf update-service` prints before a failure. */
export function updatePreamble(version: string, who: CfWho, name: string): string {
  return cfEra(version) === 'v8'
    ? `Updating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`
    : `Updating service instance ${name} as ${who.user}...\n`;
}

/** The Cloud Controller's text for a broker that refused a request (a 502 around the broker's own description). */
export function brokerRefusal(version: string, description: string): string {
  return cfEra(version) === 'v8'
    ? `Service broker error: ${description}`
    : `Server error, status code: 502, error code: 10001, message: Service broker error: ${description}`;
}
