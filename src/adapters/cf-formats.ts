/**
 * Renderers for the cf CLI's output in each era (≤6.32, 6.33–7.x, 8.x), built from the formats
 * quoted in the domain notes (cli@v6.21.1 `cf/commands`, cli@v6.53.0 `command/v6`, cli@v8.9.1
 * `command/v7`). The simulator answers with them and the parser tests read them, so the adapter
 * is checked against every era's text rather than against one tidy format.
 */
import { cfEra, cfMajor } from './cf-version.js';
import type { CfWho, LastOperation, Rendered } from './cf-types.js';

const ok = (stdout: string): Rendered => ({ stdout, stderr: '', exitCode: 0 });

/** Columns padded to their widest cell plus three spaces, as `ui.DisplayTableWithHeader` does. */
export function padTable(rows: string[][], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
          .join('')
          .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

/** Key/value block (`name:   value`) padded like the CLI's `DisplayKeyValueTable`. */
function keyValues(pairs: [string, string][], indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length + 1)) + 3;
  return pairs.map(([k, v]) => `${indent}${(k + ':').padEnd(width)}${v}`.trimEnd() + '\n').join('');
}

/**
 * A failed command. 6.33+ prints `FAILED` on stdout and the reason on stderr; legacy CLIs print
 * both on stdout (`cf/terminal/ui.go` `Failed`).
 */
export function renderFailure(version: string, message: string, preamble = '', exitCode = 1): Rendered {
  if (cfEra(version) === 'legacy') return { stdout: `${preamble}FAILED\n${message}\n`, stderr: '', exitCode };
  return { stdout: `${preamble}FAILED\n`, stderr: `${message}\n`, exitCode };
}

export function renderVersion(version: string): Rendered {
  return ok(`cf version ${version}\n`);
}

export function renderUnknownCommand(version: string, command: string): Rendered {
  return renderFailure(version, `'${command}' is not a registered command. See 'cf help -a'`);
}

export function renderNotLoggedIn(version: string): Rendered {
  return renderFailure(version, "Not logged in. Use 'cf login' or 'cf login --sso' to log in.");
}

export function renderNoTarget(version: string): Rendered {
  return renderFailure(version, "No org and space targeted, use 'cf target -o ORG -s SPACE' to target an org and space");
}

export function renderTarget(version: string, t: { apiUrl: string; apiVersion: string } & CfWho): Rendered {
  if (cfEra(version) === 'legacy') {
    return ok(
      '\n' +
        keyValues([
          ['API endpoint', `${t.apiUrl} (API version: ${t.apiVersion})`],
          ['User', t.user],
          ['Org', t.org],
          ['Space', t.space],
        ]),
    );
  }
  const api = cfMajor(version) >= 7 ? 'API' : 'api';
  return ok(
    keyValues([
      [`${api} endpoint`, t.apiUrl],
      [`${api} version`, t.apiVersion],
      ['user', t.user],
      ['org', t.org],
      ['space', t.space],
    ]),
  );
}

export function renderOrgNotFound(version: string, org: string): Rendered {
  return cfEra(version) === 'legacy'
    ? renderFailure(version, `Could not target org.\nOrganization ${org} not found`)
    : renderFailure(version, `Organization '${org}' not found.`);
}

export function renderSpaceNotFound(version: string, space: string): Rendered {
  return cfEra(version) === 'legacy'
    ? renderFailure(version, `Unable to access space ${space}.\nSpace ${space} not found`)
    : renderFailure(version, `Space '${space}' not found.`);
}

/** `cf space S --guid` and `cf service NAME --guid`: only the GUID. */
export function renderGuid(guid: string): Rendered {
  return ok(`${guid}\n`);
}

export interface AppRow {
  name: string;
  state: 'started' | 'stopped';
  instances: string;
  memory: string;
  disk: string;
  urls: string[];
}

export function renderApps(version: string, who: CfWho, apps: AppRow[]): Rendered {
  const preamble = `Getting apps in org ${who.org} / space ${who.space} as ${who.user}...\n`;
  if (cfMajor(version) < 7) {
    if (apps.length === 0) return ok(`${preamble}OK\n\nNo apps found\n`);
    const rows = [['name', 'requested state', 'instances', 'memory', 'disk', 'urls']];
    for (const a of apps) rows.push([a.name, a.state, a.instances, a.memory, a.disk, a.urls.join(', ')]);
    return ok(`${preamble}OK\n\n${padTable(rows)}`);
  }
  if (apps.length === 0) return ok(`${preamble}\nNo apps found\n`);
  const rows = [['name', 'requested state', 'processes', 'routes']];
  for (const a of apps) rows.push([a.name, a.state, `web:${a.instances}`, a.urls.join(', ')]);
  return ok(`${preamble}\n${padTable(rows)}`);
}

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
  const op = s.lastOperation;
  const status = `${op.type} ${op.state}`;
  const era = cfEra(version);
  if (era === 'legacy') {
    return ok(
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
        keyValues([
          ['Status', status],
          ['Message', op.description],
          ['Started', op.createdAt],
          ['Updated', op.updatedAt],
        ]),
    );
  }
  const bindingRows = [['name', 'binding name', 'status', 'message'], ...s.boundApps.map((a) => [a, '', 'create succeeded', ''])];
  if (era === 'v6') {
    const bound = s.boundApps.length ? `bound apps:\n${padTable(bindingRows)}` : 'There are no bound apps for this service.\n';
    return ok(
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
        keyValues([
          ['status', status],
          ['message', op.description],
          ['started', op.createdAt],
          ['updated', op.updatedAt],
        ]) +
        '\n' +
        bound,
    );
  }
  const bound = s.boundApps.length
    ? `Showing bound apps:\n${padTable(bindingRows, '   ')}`
    : 'Showing bound apps:\n   There are no bound apps for this service instance.\n';
  return ok(
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
      keyValues(
        [
          ['status', status],
          ['message', op.description],
          ['started', op.createdAt],
          ['updated', op.updatedAt],
        ],
        '   ',
      ) +
      '\n' +
      bound +
      '\nShowing sharing info:\n   This service instance is not shared.\n\nShowing upgrade status:\n   There is no upgrade available for this service.\n',
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
  const preamble = `Creating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
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

export function renderOfferingNotFound(version: string, who: CfWho, name: string, offering: string): Rendered {
  const preamble = `Creating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
  return cfEra(version) === 'v8'
    ? renderFailure(version, `Service offering '${offering}' not found.`, preamble)
    : renderFailure(version, `Service offering ${offering} not found`, preamble);
}

export function renderPlanNotFound(version: string, who: CfWho, name: string, offering: string, plan: string): Rendered {
  const preamble = `Creating service instance ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
  return cfEra(version) === 'v8'
    ? renderFailure(version, `The plan '${plan}' could not be found for service offering '${offering}'.`, preamble)
    : renderFailure(version, `Could not find plan named ${plan} for service ${offering}`, preamble);
}

export function renderAppNotFound(version: string, app: string, preamble = ''): Rendered {
  return cfEra(version) === 'legacy'
    ? renderFailure(version, `App ${app} not found`, preamble)
    : renderFailure(version, `App '${app}' not found`, preamble);
}

export function renderBindService(version: string, who: CfWho, app: string, name: string, already: boolean): Rendered {
  const tip = `TIP: Use 'cf restage ${app}' to ensure your env variable changes take effect\n`;
  if (cfEra(version) === 'v8') {
    const preamble = `Binding service instance ${name} to app ${app} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
    return already ? ok(`${preamble}App ${app} is already bound to service instance ${name}.\nOK\n`) : ok(`${preamble}OK\n\n${tip}`);
  }
  const preamble = `Binding service ${name} to app ${app} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
  return already ? ok(`${preamble}OK\nApp ${app} is already bound to ${name}.\n`) : ok(`${preamble}OK\n${tip}`);
}

export function renderUnbindService(_version: string, who: CfWho, app: string, name: string, wasBound: boolean): Rendered {
  const preamble = `Unbinding app ${app} from service ${name} in org ${who.org} / space ${who.space} as ${who.user}...\n`;
  const note = wasBound ? '' : `Binding between ${name} and ${app} did not exist\n`;
  return ok(`${preamble}OK\n${note}`);
}

/** `cf restart` / `cf restage`: long and version-specific; callers judge them by exit code only. */
export function renderAppLifecycle(version: string, who: CfWho, app: string, verb: 'restart' | 'restage'): Rendered {
  const ing = verb === 'restart' ? 'Restarting' : 'Restaging';
  const body =
    verb === 'restart'
      ? 'Stopping app...\n\nWaiting for app to start...\n'
      : 'Staging app and tracing logs...\n\nWaiting for app to start...\n';
  const state =
    cfMajor(version) >= 7 ? `\nname:              ${app}\nrequested state:   started\n` : `\nrequested state: started\ninstances: 1/1\n`;
  return ok(`${ing} app ${app} in org ${who.org} / space ${who.space} as ${who.user}...\n\n${body}${state}`);
}

/**
 * `cf curl PATH [-f]`. Without `-f` an HTTP error still exits 0 and prints the error body;
 * with it (6.43+) the CLI exits 22 and prints "The requested URL returned error: N".
 * CLIs before 8 re-indent JSON (three spaces); 8.x prints the body as received.
 */
export function renderCurl(version: string, status: number, body: unknown, fail: boolean): Rendered {
  if (fail && status >= 400) return renderFailure(version, `The requested URL returned error: ${status}`, '', 22);
  const text = cfMajor(version) >= 8 ? JSON.stringify(body) : JSON.stringify(body, null, 3);
  return ok(`${text}\n`);
}

/** Cloud Controller bodies the simulator serves through `cf curl`. */
export const ccBodies = {
  v3NotFound: (what: string) => ({ errors: [{ detail: `${what} not found`, title: 'CF-ResourceNotFound', code: 10010 }] }),
  v3UnknownRequest: () => ({ errors: [{ detail: 'Unknown request', title: 'CF-NotFound', code: 10000 }] }),
  v2UnknownRequest: () => ({ code: 10000, description: 'Unknown request', error_code: 'CF-NotFound' }),
  v2InstanceNotFound: (guid: string) => ({
    description: `The service instance could not be found: ${guid}`,
    error_code: 'CF-ServiceInstanceNotFound',
    code: 60004,
  }),
};

export interface InstanceView {
  guid: string;
  name: string;
  spaceGuid: string;
  planGuid: string;
  offeringGuid: string;
  createdAt: string;
  lastOperation: LastOperation;
}

function lastOperationJson(op: LastOperation) {
  return { type: op.type, state: op.state, description: op.description, updated_at: op.updatedAt, created_at: op.createdAt };
}

export function v3ServiceInstance(i: InstanceView, apiUrl: string) {
  return {
    guid: i.guid,
    created_at: i.createdAt,
    updated_at: i.lastOperation.updatedAt,
    name: i.name,
    tags: [],
    last_operation: lastOperationJson(i.lastOperation),
    type: 'managed',
    maintenance_info: {},
    upgrade_available: false,
    dashboard_url: null,
    relationships: { service_plan: { data: { guid: i.planGuid } }, space: { data: { guid: i.spaceGuid } } },
    metadata: { labels: {}, annotations: {} },
    links: {
      self: { href: `${apiUrl}/v3/service_instances/${i.guid}` },
      service_plan: { href: `${apiUrl}/v3/service_plans/${i.planGuid}` },
      space: { href: `${apiUrl}/v3/spaces/${i.spaceGuid}` },
    },
  };
}

export function v2ServiceInstance(i: InstanceView) {
  return {
    metadata: { guid: i.guid, url: `/v2/service_instances/${i.guid}`, created_at: i.createdAt, updated_at: i.lastOperation.updatedAt },
    entity: {
      name: i.name,
      credentials: {},
      service_plan_guid: i.planGuid,
      space_guid: i.spaceGuid,
      gateway_data: null,
      dashboard_url: null,
      type: 'managed_service_instance',
      last_operation: lastOperationJson(i.lastOperation),
      tags: [],
      service_guid: i.offeringGuid,
      space_url: `/v2/spaces/${i.spaceGuid}`,
      service_plan_url: `/v2/service_plans/${i.planGuid}`,
      service_bindings_url: `/v2/service_instances/${i.guid}/service_bindings`,
    },
  };
}

export function v3List(resources: unknown[], apiUrl: string, path: string) {
  return {
    pagination: {
      total_results: resources.length,
      total_pages: 1,
      first: { href: `${apiUrl}${path}` },
      last: { href: `${apiUrl}${path}` },
      next: null,
      previous: null,
    },
    resources,
  };
}

export function v2List(resources: unknown[]) {
  return { total_results: resources.length, total_pages: 1, prev_url: null, next_url: null, resources };
}
