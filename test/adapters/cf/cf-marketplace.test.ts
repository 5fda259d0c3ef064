/**
 * `cf marketplace` in every era's table (the simulated cf prints them from the CLI's sources), read
 * by the adapter; and the offering a recreation takes from it: the one given when the marketplace
 * lists it with the plan, else the one Dingo PostgreSQL offering whatever its name, and a stop,
 * listing what the marketplace has, when that is none or more than one.
 */
import { describe, expect, it } from 'vitest';
import { describeOfferings, isDingoOffering, parseMarketplace, type MarketOffering } from '../../../src/adapters/cf/index.js';
import { simulateCf, type CfWorld } from '../../../src/rehearsal/cf/index.js';
import { offeringFor } from '../../../src/actions/support/cf.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import type { CommandSpec } from '../../../src/core/seams.js';
import { DEFAULT_SETTINGS } from '../../../src/engine/runbook/index.js';
import { CF_VERSIONS, cfWorld } from '../../support/fake-cli/worlds.js';
import { settled } from '../../support/started.js';
import { testRuntime } from '../../support/runtime.js';

const SPACE = 'important-space-and-all-databases';
const REDIS_PLAN = { name: 'shared-vm', guid: 'a53bac85-2f6d-42ea-bcec-5754b058261f' };
const REDIS = { label: 'p-redis', guid: '53e850e9-6a99-4ba4-89e3-9fb9564f37ec', broker: 'p-redis', plans: [REDIS_PLAN] };

function targeted(version: string, offerings?: (w: CfWorld) => CfWorld['offerings']): CfWorld {
  const w = cfWorld(version);
  w.offerings = [...(offerings?.(w) ?? w.offerings), REDIS];
  simulateCf(w, { argv: ['cf', 'target', '-o', 'org', '-s', SPACE], writes: false });
  return w;
}

const ERAS = Object.entries(CF_VERSIONS);

describe('cf marketplace, every era', () => {
  it.each(ERAS)('%s: the offerings with their plans', (_era, version) => {
    const r = simulateCf(targeted(version), { argv: ['cf', 'marketplace'], writes: false });
    expect(r.exitCode).toBe(0);
    const expected: MarketOffering[] = [
      { label: 'dingo-postgresql95', plans: ['solo', 'cluster'] },
      { label: 'p-redis', plans: ['shared-vm'] },
    ];
    expect(parseMarketplace(r.stdout)).toEqual(expected);
  });

  it('reads the 2016 table with its paid plans marked, and the words for an empty marketplace', () => {
    // cli@v6.21.1 cf/commands/service/marketplace.go: a paid plan's name ends in `*`.
    const legacy = [
      'Getting services from marketplace in org acme / space important-space-and-all-databases as admin...',
      'OK',
      '',
      'service              plans                        description',
      'dingo-postgresql95   solo, cluster*, cluster-xl   PostgreSQL 9.5 with continuous archives,  by Dingo Tiles',
      '',
      '* These service plans have an associated cost. Creating a service instance will incur this cost.',
      '',
      "TIP:  Use 'cf marketplace -s SERVICE' to view descriptions of individual plans of a given service.",
      '',
    ].join('\n');
    expect(parseMarketplace(legacy)).toEqual([{ label: 'dingo-postgresql95', plans: ['solo', 'cluster', 'cluster-xl'] }]);
    expect(parseMarketplace('Getting services from marketplace in org o / space s as u...\nOK\n\nNo service offerings found\n')).toEqual(
      [],
    );
    expect(
      parseMarketplace('Getting all service offerings from marketplace in org o / space s as u...\n\nNo service offerings found.\n'),
    ).toEqual([]);
  });

  it('refuses output with no table, showing it escaped', () => {
    expect(() => parseMarketplace('Server error, status code: 502\x1b[31m\n')).toThrow(
      'cf marketplace printed no table of offerings: Server error, status code: 502\\x1b[31m',
    );
  });

  it('knows the names Dingo gave its offering', () => {
    expect(['dingo-postgresql', 'dingo-postgresql95', 'postgresql95'].every(isDingoOffering)).toBe(true);
    expect(['p-redis', 'postgresql', 'dingo-postgresql-ha', 'elephantsql'].some(isDingoOffering)).toBe(false);
  });
});

function contextOn(w: CfWorld, notes: string[]): StepContext {
  return {
    cf: { where: 'local', run: (spec: CommandSpec) => settled(() => simulateCf(w, spec)) },
    settings: DEFAULT_SETTINGS,
    runtime: testRuntime(),
    evidence: (t: string) => notes.push(t),
  } as unknown as StepContext;
}

describe('the offering a recreation takes', () => {
  it('is the one Dingo offering the marketplace lists when none is given, whatever its name', async () => {
    const notes: string[] = [];
    expect(await offeringFor(contextOn(targeted(CF_VERSIONS.legacy), notes), '', 'solo')).toBe('dingo-postgresql95');
    expect(notes).toEqual([
      'cf marketplace lists dingo-postgresql95 (solo, cluster): the Dingo PostgreSQL offering (all listed: dingo-postgresql95 (solo, cluster), p-redis (shared-vm))',
    ]);
    const renamed = targeted(CF_VERSIONS.v8, (w) => w.offerings.map((o) => ({ ...o, label: 'dingo-postgresql' })));
    expect(await offeringFor(contextOn(renamed, []), '', 'solo')).toBe('dingo-postgresql');
  });

  it('is the one given, checked in the marketplace with its plan', async () => {
    const w = targeted(CF_VERSIONS.v6);
    expect(await offeringFor(contextOn(w, []), 'dingo-postgresql95', 'cluster')).toBe('dingo-postgresql95');
    await expect(offeringFor(contextOn(w, []), 'dingo-postgresql', 'solo')).rejects.toThrow(
      'cf marketplace lists no offering dingo-postgresql in the targeted space (it lists dingo-postgresql95 (solo, cluster), p-redis (shared-vm)); nothing was created',
    );
    await expect(offeringFor(contextOn(w, []), 'dingo-postgresql95', 'single')).rejects.toThrow(
      'cf marketplace lists dingo-postgresql95 without a plan single',
    );
  });

  it('stops when the marketplace lists no Dingo offering with the plan, or two, naming them and how to choose', async () => {
    const none = targeted(CF_VERSIONS.v7, () => []);
    const err = (await offeringFor(contextOn(none, []), '', 'solo').catch((e: unknown) => e)) as Error & { hint: string };
    expect(err.message).toBe(
      'cf marketplace lists no Dingo PostgreSQL offering with a plan solo in the targeted space (it lists p-redis (shared-vm)); nothing was created',
    );
    expect(err.hint).toMatch(/^resume naming the offering to create it from: --set offering=NAME, and the single-node plan/);
    const two = targeted(CF_VERSIONS.v8, (w) => [
      ...w.offerings,
      { ...w.offerings[0]!, label: 'dingo-postgresql', guid: 'b0e1f2a3-0000-4000-8000-000000000001' },
    ]);
    const both = (await offeringFor(contextOn(two, []), '', 'solo').catch((e: unknown) => e)) as Error & { hint: string };
    expect(both.message).toContain('cf marketplace lists 2 Dingo PostgreSQL offerings with a plan solo');
    expect(both.hint).toContain('--set offering=NAME (one of dingo-postgresql, dingo-postgresql95)');
    expect(describeOfferings([])).toBe('no offerings');
  });
});
