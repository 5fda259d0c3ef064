/** The cf actions against the simulated cf: adopting what an abandoned run created, and probing by space GUID. */
import { describe, expect, it } from 'vitest';
import { actionRegistry } from '../../src/actions/index.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { simulateCf } from '../../src/rehearsal/cf/index.js';
import type { CommandRunner } from '../../src/core/seams.js';
import { CF_VERSIONS, NEW_GUID, SPACE_GUID, cfWorld } from '../support/fake-cli/worlds.js';
import { settled } from '../support/started.js';
import { testRuntime } from '../support/runtime.js';
import { testChoices } from '../support/choices.js';

const SPACE = 'important-space-and-all-databases';

function context(adoptable: StepContext['adoptable'], choose: Record<string, string> = {}) {
  const w = cfWorld(CF_VERSIONS.v8);
  const runner: CommandRunner = { where: 'local', run: (spec) => settled(() => simulateCf(w, spec)) };
  const notes: string[] = [];
  const decided: { key: string; value: string; by: string }[] = [];
  const ctx = {
    cf: runner,
    settings: DEFAULT_SETTINGS,
    answers: { inputs: {}, secrets: {} },
    choices: testChoices(choose, undefined, decided),
    adoptable,
    note: (t: string) => notes.push(t),
    evidence: (t: string) => notes.push(t),
    progress: () => undefined,
    runtime: testRuntime(),
  } as unknown as StepContext;
  return { w, ctx, notes, decided, cf: (...args: string[]) => simulateCf(w, { argv: ['cf', ...args], writes: true }) };
}

const actions = actionRegistry();
const checkNameFree = actions.get('cf.check-name-free')!;
const createService = actions.get('cf.create-service')!;

describe('an instance an abandoned run created', () => {
  it('is adopted when the operator says so, and create-service then creates nothing', async () => {
    const { w, ctx, cf, decided } = context([{ runId: 'r1', instanceGuid: NEW_GUID, reason: 'lost the laptop' }], {
      adoptInstance: NEW_GUID.slice(0, 8),
    });
    cf('target', '-o', 'org', '-s', SPACE);
    cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
    const out = await checkNameFree.run(ctx, { name: 'important-db', spaceGuid: SPACE_GUID }, {});
    expect(out).toEqual({ free: false, adoptGuid: NEW_GUID });
    expect(decided).toEqual([
      expect.objectContaining({ key: 'adoptInstance', value: NEW_GUID, by: 'choose.adoptInstance in the answers file' }),
    ]);
    const created = await createService.run(
      ctx,
      { offering: 'dingo-postgresql95', plan: 'solo', name: 'important-db', spaceGuid: SPACE_GUID, adopt: NEW_GUID },
      {},
    );
    expect(created).toEqual({ instanceGuid: NEW_GUID });
    expect(w.instances).toHaveLength(1);
  });

  it('stops with no terminal and no answer, naming the run that created it and the key to add (exit 3)', async () => {
    const { ctx, cf } = context([{ runId: 'r1', instanceGuid: NEW_GUID, reason: 'lost the laptop' }]);
    cf('target', '-o', 'org', '-s', SPACE);
    cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
    await expect(checkNameFree.run(ctx, { name: 'important-db', spaceGuid: SPACE_GUID }, {})).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('created by the abandoned run r1'),
      hint: expect.stringMatching(
        /^choose one of \S+, no \(the candidates of adoptInstance\): the runbook's hint for adoptInstance; .*choose: \{adoptInstance: /,
      ),
    });
  });

  it('is adopted when its GUID is one of several in the answer (a space recovery adopts one per instance)', async () => {
    const other = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
    const { ctx, cf } = context([{ runId: 'r1', instanceGuid: NEW_GUID, reason: 'wrong space' }], {
      adoptInstance: `${other}, ${NEW_GUID.slice(0, 8)}`,
    });
    cf('target', '-o', 'org', '-s', SPACE);
    cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
    expect(await checkNameFree.run(ctx, { name: 'important-db', spaceGuid: SPACE_GUID }, {})).toEqual({ free: false, adoptGuid: NEW_GUID });
  });

  it('is not adopted when the answer names only other instances', async () => {
    const { ctx, cf } = context([{ runId: 'r1', instanceGuid: NEW_GUID, reason: 'wrong space' }], {
      adoptInstance: 'c8ce128e-7b4c-4fe7-a533-e9379356f906,no',
    });
    cf('target', '-o', 'org', '-s', SPACE);
    cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
    await expect(checkNameFree.run(ctx, { name: 'important-db', spaceGuid: SPACE_GUID }, {})).rejects.toThrow(
      `"important-db" is taken by instance ${NEW_GUID} (created by the abandoned run r1), which was not adopted`,
    );
  });

  it('an instance no abandoned run created is never adopted', async () => {
    const { ctx, cf } = context([], { adoptInstance: NEW_GUID });
    cf('target', '-o', 'org', '-s', SPACE);
    cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
    await expect(checkNameFree.run(ctx, { name: 'important-db', spaceGuid: SPACE_GUID }, {})).rejects.toThrow(
      `a service instance named "important-db" already exists in this space (GUID ${NEW_GUID})`,
    );
  });
});

describe('create-service probe', () => {
  it('looks in the journaled space by GUID, whatever cf targets now', async () => {
    const { ctx, cf } = context([]);
    cf('target', '-o', 'org', '-s', SPACE);
    cf('create-service', 'dingo-postgresql95', 'solo', 'important-db');
    expect(cf('target', '-o', 'org', '-s', 'empty').exitCode).toBe(0);
    expect(await createService.probe!(ctx, { name: 'important-db' }, {})).toMatchObject({ done: false });
    const probe = await createService.probe!(ctx, { name: 'important-db', spaceGuid: SPACE_GUID }, {});
    expect(probe).toMatchObject({ done: true, outputs: { instanceGuid: NEW_GUID } });
  });
});
