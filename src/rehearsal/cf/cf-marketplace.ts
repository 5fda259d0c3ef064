/**
 * `cf marketplace` against the simulated Cloud Controller, in each era's words: ≤6.32
 * (cli `cf/commands/service/marketplace.go`: `service  plans  description`, a TIP with two spaces),
 * 6.33–7.x (`command/v6/marketplace_command.go`: the same table, `TIP: Use 'cf marketplace -s
 * SERVICE'…`) and 8.x (`command/v7/marketplace_command.go`: `Getting all service offerings…`, no OK,
 * `offering  plans  description  broker`, `TIP: Use 'cf marketplace -e SERVICE_OFFERING'…`). Every
 * offering of the world is enabled for every org, as a platform admin's are.
 */
import { cfEra, type Rendered } from '../../adapters/cf/index.js';
import { renderNoTarget } from './cf-formats.js';
import { ok, padTable } from './cf-text.js';
import type { CfContext } from './cf-context.js';

export function marketplace(cf: CfContext): Rendered {
  if (!cf.space()) return renderNoTarget(cf.v);
  const who = cf.who();
  const offerings = [...cf.w.offerings].sort((a, b) => a.label.localeCompare(b.label));
  const plans = (o: (typeof offerings)[number]): string => o.plans.map((p) => p.name).join(', ');
  if (cfEra(cf.v) === 'v8') {
    const head = `Getting all service offerings from marketplace in org ${who.org} / space ${who.space} as ${who.user}...\n\n`;
    if (!offerings.length) return ok(`${head}No service offerings found.\n`);
    const rows = [
      ['offering', 'plans', 'description', 'broker'],
      ...offerings.map((o) => [o.label, plans(o), o.description ?? '', o.broker ?? '']),
    ];
    return ok(
      `${head}${padTable(rows)}\nTIP: Use 'cf marketplace -e SERVICE_OFFERING' to view descriptions of individual plans of a given service offering.\n`,
    );
  }
  const head = `Getting services from marketplace in org ${who.org} / space ${who.space} as ${who.user}...\nOK\n\n`;
  if (!offerings.length) return ok(`${head}No service offerings found\n`);
  const rows = [['service', 'plans', 'description'], ...offerings.map((o) => [o.label, plans(o), o.description ?? ''])];
  const tip = cfEra(cf.v) === 'legacy' ? "TIP:  Use 'cf marketplace -s SERVICE'" : "TIP: Use 'cf marketplace -s SERVICE'";
  return ok(`${head}${padTable(rows)}\n${tip} to view descriptions of individual plans of a given service.\n`);
}
