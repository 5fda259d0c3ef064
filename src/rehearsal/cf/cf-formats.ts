/**
 * Renderers for the cf CLI's output in each era (≤6.32, 6.33–7.x, 8.x), built from the formats
 * quoted in the domain notes (cli@v6.21.1 `cf/commands`, cli@v6.53.0 `command/v6`, cli@v8.9.1
 * `command/v7`). The simulator answers with them and the parser tests read them, so the adapter
 * is checked against every era's text rather than against one tidy format. This module holds
 * versions, targets, failures and apps; services are in cf-service-formats.ts, Cloud Controller
 * bodies in cf-cc-bodies.ts.
 */
import { cfEra, cfMajor, type CfWho, type Rendered } from '../../adapters/cf/index.js';
import { keyValues, ok, padTable, renderFailure } from './cf-text.js';

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
