/**
 * `cf marketplace`: the offerings the targeted space may create, with their plans, in each era's
 * table. ≤6.32 (cli `cf/commands/service/marketplace.go`) and 6.33–7.x (`command/v6/marketplace_command.go`)
 * print `service  plans  description`, plans joined by ", " (legacy marks a paid plan with `*`);
 * 8.x (`command/v7/marketplace_command.go`) prints `offering  plans  description  broker`. The
 * columns are padded to their widest cell, so each row is cut at the header's column offsets.
 */
import { StepFailed } from '../../core/errors.js';
import { oneLine } from '../../core/display.js';

export interface MarketOffering {
  /** The offering's name (`cf create-service OFFERING …`). */
  label: string;
  plans: string[];
}

const HEADER = /^(service|offering)(\s+)plans(\s+)description\b/;

/** The offerings `cf marketplace` printed; [] for `No service offerings found`; throws when it printed neither. */
export function parseMarketplace(stdout: string): MarketOffering[] {
  const lines = stdout.split(/\r?\n/);
  const h = lines.findIndex((l) => HEADER.test(l));
  if (h < 0) {
    if (/^No service offerings found\.?\s*$/m.test(stdout)) return [];
    const shown = oneLine(stdout.trim()).slice(0, 300);
    throw new StepFailed(`cf marketplace printed no table of offerings: ${shown || '(nothing)'}`, {
      hint: 'run `cf marketplace` in the targeted space by hand: the user must be allowed to see the space, and the Dingo PostgreSQL plans enabled for its org (cf enable-service-access)',
    });
  }
  const header = lines[h]!;
  const plansAt = header.indexOf('plans');
  const descriptionAt = header.indexOf('description', plansAt);
  const out: MarketOffering[] = [];
  for (const row of lines.slice(h + 1)) {
    if (!row.trim()) break;
    const label = row.slice(0, plansAt).trim();
    const plans = row
      .slice(plansAt, descriptionAt)
      .split(',')
      .map((p) => p.trim().replace(/\*$/, ''))
      .filter(Boolean);
    if (label) out.push({ label, plans });
  }
  return out;
}

/**
 * The names Dingo PostgreSQL's offering has had: `postgresql95` in the first tiles, then
 * `dingo-postgresql` (dingo-postgresql-pivotaltile 1a99f2d), and `dingo-postgresql95` as the
 * recovery runbook writes it.
 */
export function isDingoOffering(label: string): boolean {
  return /^(?:dingo-postgresql\d*|postgresql95)$/.test(label);
}

/** The offerings in words: `dingo-postgresql (solo, cluster)`. */
export function describeOfferings(offerings: readonly MarketOffering[]): string {
  return offerings.map((o) => `${o.label} (${o.plans.join(', ') || 'no plans'})`).join(', ') || 'no offerings';
}
