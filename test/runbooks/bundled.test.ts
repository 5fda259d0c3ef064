/** The bundled runbooks: each step written once, and the two recoveries running the same per-instance steps. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionRegistry } from '../../src/actions/index.js';
import { loadRunbook, type Runbook } from '../../src/engine/runbook/index.js';
import { ROOT } from '../support/cli.js';

const DIR = join(ROOT, 'runbooks');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const actions = actionRegistry();
const load = (name: string): Runbook => loadRunbook(join(DIR, `${name}.yaml`), actions);

describe('the bundled runbooks', () => {
  it('define each step in one file only (three different actions each have a step "report")', () => {
    const definedIn = new Map<string, string[]>();
    for (const f of files) {
      const doc = parse(readFileSync(join(DIR, f), 'utf8')) as { steps: unknown[] };
      for (const { id, action, use } of doc.steps as { id?: string; action?: string; use?: string }[]) {
        if (use) continue; // a use step's id names what it produces, not a step
        const step = `${id} (${action})`;
        if (id) definedIn.set(step, [...(definedIn.get(step) ?? []), f]);
      }
    }
    expect([...definedIn].filter(([, where]) => where.length > 1)).toEqual([]);
  });

  it('all load', () => {
    for (const f of files) expect(loadRunbook(join(DIR, f), actions).steps.length).toBeGreaterThan(0);
  });

  it('recover a single instance and each instance of a space with the steps of recover-instance, bound to what differs', () => {
    const shared = load('recover-instance').steps.map((s) => s.id);
    const single = load('recover-deleted-service').steps;
    const perItem = load('recover-space-instance').steps;
    // recover-instance's own steps and those it takes from the runbooks it shares with restore-to-time's copy.
    const shares = ['recover-instance', 'create-solo', 'bind-and-grow'];
    const fromShared = (steps: Runbook['steps']): string[] => steps.filter((s) => shares.includes(s.from?.name ?? '')).map((s) => s.id);
    expect(fromShared(single)).toEqual(shared);
    expect(fromShared(perItem)).toEqual(shared);
    expect(single.map((s) => s.id)).toEqual([
      'target-space',
      'find-deleted-instance',
      'inspect-old-archive',
      'confirm-deleted-instance',
      'drill-old-archive',
      ...shared,
      'report',
    ]);
    expect(perItem.map((s) => s.id)).toEqual(['inspect-old-archive', ...shared]);
    const step = (steps: Runbook['steps'], id: string): Runbook['steps'][number] => steps.find((s) => s.id === id)!;
    expect(step(single, 'check-apps').with.missing).toBe('fail');
    expect(step(perItem, 'check-apps').with.missing).toBe('report');
    expect(step(single, 'preflight').with).toMatchObject({
      oldInstanceGuid: '${steps.find-deleted-instance.outputs.instanceGuid}',
      from: '${steps.find-deleted-instance.outputs.archiveUrl}',
    });
    expect(step(perItem, 'preflight').with).toMatchObject({ oldInstanceGuid: '${inputs.oldInstanceGuid}', from: '${inputs.archiveUrl}' });
    expect(step(single, 'create-service').with.spaceGuid).toBe('${steps.target-space.outputs.spaceGuid}');
    expect(step(perItem, 'copy-old-archive').with.fingerprint).toBe('${steps.inspect-old-archive.outputs.fingerprint}');
  });
});
