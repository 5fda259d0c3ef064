/**
 * A simulated `cf` CLI with its Cloud Controller behind it. It interprets the argv the adapter
 * builds and answers in the output era of `state.version`, changing `state` as the platform
 * would: create-service starts an asynchronous create that completes after a number of status
 * reads, bind-service records a binding, restart restarts. The state is plain JSON so the
 * rehearsal can save it between commands and processes.
 *
 * The commands live beside this file: cf-apps.ts (target, space, apps, bindings, restarts),
 * cf-services.ts (service, create-service), cf-spaces.ts (create-space), cf-curl.ts and the cf-curl-*
 * and cf-events files (the Cloud Controller API).
 */
import type { CommandResult, CommandSpec } from '../core/seams.js';
import { renderNotLoggedIn, renderUnknownCommand, renderVersion } from '../adapters/cf-formats.js';
import type { Rendered } from '../adapters/cf-types.js';
import { parseCfArgs } from './cf-args.js';
import { bind, lifecycle, listApps, showSpace, target, unbind } from './cf-apps.js';
import { CfContext } from './cf-context.js';
import { curl } from './cf-curl.js';
import { createService, showService, updateService } from './cf-services.js';
import { createSpace } from './cf-spaces.js';
import type { CfHooks, CfWorld } from './cf-world.js';

export type { CfApp, CfAuditEvent, CfHooks, CfOffering, CfOrg, CfServiceInstance, CfSpace, CfWorld } from './cf-world.js';

function run(cf: CfContext, args: string[]): Rendered {
  const [command = 'help', ...rest] = args;
  if (command === 'version' || command === '-v' || command === '--version') return renderVersion(cf.v);
  if (cf.w.loggedIn === false) return renderNotLoggedIn(cf.v);
  const { positional, flags } = parseCfArgs(rest);
  const [first = '', second = ''] = positional;
  switch (command) {
    case 'target':
    case 't':
      return target(cf, flags);
    case 'space':
      return showSpace(cf, first, flags.has('--guid'));
    case 'create-space':
    case 'csp':
      return createSpace(cf, first, flags);
    case 'apps':
    case 'a':
    case 'applications':
      return listApps(cf);
    case 'service':
      return showService(cf, first, flags.has('--guid'));
    case 'create-service':
    case 'cs':
      return createService(cf, positional, flags);
    case 'update-service':
      return updateService(cf, first, flags);
    case 'bind-service':
    case 'bs':
      return bind(cf, first, second);
    case 'unbind-service':
    case 'us':
      return unbind(cf, first, second);
    case 'restart':
    case 'rs':
      return lifecycle(cf, first, 'restart');
    case 'restage':
    case 'rg':
      return lifecycle(cf, first, 'restage');
    case 'curl':
      return curl(cf, positional[0] ?? '/', flags);
    default:
      return renderUnknownCommand(cf.v, command);
  }
}

/** Runs one `cf` command against the simulated platform; `state` changes in place. */
export function simulateCf(state: CfWorld, spec: CommandSpec, hooks: CfHooks = {}): CommandResult {
  const r = run(new CfContext(state, hooks), spec.argv.slice(1));
  return { ...r, durationMs: 0 };
}
