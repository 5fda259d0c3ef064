/**
 * A simulated `cf` CLI with its Cloud Controller behind it. It interprets the argv the adapter
 * builds and answers in the output era of `state.version`, changing `state` as the platform
 * would: create-service starts an asynchronous create that completes after a number of status
 * reads, bind-service records a binding, restart restarts. The state is plain JSON so the
 * rehearsal can save it between commands and processes.
 *
 * The commands live beside this file: cf-apps.ts (target, space, apps, bindings, restarts),
 * cf-services.ts (service, create-service), cf-marketplace.ts, cf-spaces.ts (create-space), cf-curl.ts and the cf-curl-*
 * and cf-events files (the Cloud Controller API).
 */
import type { CommandResult, CommandSpec } from '../../core/seams.js';
import { renderNotLoggedIn, renderUnknownCommand, renderVersion } from './cf-formats.js';
import type { Rendered } from '../../adapters/cf/index.js';
import { parseCfArgs } from './cf-args.js';
import { bind, lifecycle, listApps, showSpace, target, unbind } from './cf-apps.js';
import { CfContext } from './cf-context.js';
import { curl } from './cf-curl.js';
import { createService, showService, updateService } from './cf-services.js';
import { createSpace } from './cf-spaces.js';
import { marketplace } from './cf-marketplace.js';
import type { CfHooks, CfWorld } from './cf-world.js';

export type { CfAuditEvent, CfHooks, CfServiceInstance, CfWorld } from './cf-world.js';

type Args = ReturnType<typeof parseCfArgs>;
type Command = (cf: CfContext, a: Args, first: string, second: string) => Rendered;

/** Each command the runbook uses, by its name and the cf CLI's short aliases for it. */
const COMMANDS: [names: string[], run: Command][] = [
  [['target', 't'], (cf, a) => target(cf, a.flags)],
  [['space'], (cf, a, first) => showSpace(cf, first, a.flags.has('--guid'))],
  [['create-space', 'csp'], (cf, a, first) => createSpace(cf, first, a.flags)],
  [['apps', 'a', 'applications'], (cf) => listApps(cf)],
  [['marketplace', 'm'], (cf) => marketplace(cf)],
  [['service'], (cf, a, first) => showService(cf, first, a.flags.has('--guid'))],
  [['create-service', 'cs'], (cf, a) => createService(cf, a.positional, a.flags)],
  [['update-service'], (cf, a, first) => updateService(cf, first, a.flags)],
  [['bind-service', 'bs'], (cf, _a, first, second) => bind(cf, first, second)],
  [['unbind-service', 'us'], (cf, _a, first, second) => unbind(cf, first, second)],
  [['restart', 'rs'], (cf, _a, first) => lifecycle(cf, first, 'restart')],
  [['restage', 'rg'], (cf, _a, first) => lifecycle(cf, first, 'restage')],
  [['curl'], (cf, a) => curl(cf, a.positional[0] ?? '/', a.flags)],
];
const BY_NAME = new Map(COMMANDS.flatMap(([names, run]) => names.map((n) => [n, run] as const)));

function run(cf: CfContext, args: string[]): Rendered {
  const [command = 'help', ...rest] = args;
  if (command === 'version' || command === '-v' || command === '--version') return renderVersion(cf.v);
  if (cf.w.loggedIn === false) return renderNotLoggedIn(cf.v);
  const known = BY_NAME.get(command);
  if (!known) return renderUnknownCommand(cf.v, command);
  const parsed = parseCfArgs(rest);
  const [first = '', second = ''] = parsed.positional;
  return known(cf, parsed, first, second);
}

/** Runs one `cf` command against the simulated platform; `state` changes in place. */
export function simulateCf(state: CfWorld, spec: CommandSpec, hooks: CfHooks = {}): CommandResult {
  const r = run(new CfContext(state, hooks), spec.argv.slice(1));
  return { ...r, durationMs: 0 };
}
