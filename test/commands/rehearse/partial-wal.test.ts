/**
 * The bundled partial-wal scenario: the deleted instance's archive ends with a `.partial` a promoted
 * standby archived. The whole recovery is rehearsed: the copy step serves the checked partial under
 * its segment's full name at the NEW prefix (the old archive is only read), the simulated container
 * fetches WAL by full names only, as wal-e does, so it replays that segment only through the copy,
 * and the report measures the archive's last moment from the partial. A run killed right after the
 * partial was copied, before the step was journaled as finished, resumes and takes the copy as served.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_UNDRILLED, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { World, loadScenario, type WorldState } from '../../../src/rehearsal/world.js';
import { readJournal } from '../../../src/engine/journal/index.js';

const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW = 'backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/';
const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
const BUCKET = 'our-postgresql-backups';
const SEGMENT = '000000010000000000000006';
const PARTIAL = `wal_005/${SEGMENT}.partial.lzo`;
const FULL = `wal_005/${SEGMENT}.lzo`;
const SCENARIO = loadScenario(resolve(import.meta.dirname, '../../../fixtures/partial-wal'));

const dirs: string[] = [];
afterAll(() => {
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

async function rehearse(env: Record<string, string> = {}): Promise<{ state: string; r: CliResult }> {
  const state = mkdtempSync(join(tmpdir(), 'dr-partial-'));
  dirs.push(state);
  const r = await runCli(['rehearse', '--scenario', 'partial-wal', '--yes', '--state-dir', state], { env });
  return { state, r };
}

const worldOf = (state: string, runId: string): WorldState => World.load(join(state, 'runs', runId), SCENARIO);

/** What the recovery must leave: the partial served at the new prefix, the old archive untouched, the segment replayed. */
function assertServed(w: WorldState): void {
  const bucket = w.s3[BUCKET]!;
  const old = SCENARIO.initial.s3[BUCKET]!;
  expect(bucket[NEW + FULL]).toMatchObject({ size: old[OLD + PARTIAL]!.size, etag: old[OLD + PARTIAL]!.etag });
  expect(bucket[NEW + PARTIAL]).toMatchObject({ etag: old[OLD + PARTIAL]!.etag });
  // Nothing written under the old prefix: the user's backup is as the scenario left it.
  const under = (b: Record<string, unknown>, p: string): string[] => Object.keys(b).filter((k) => k.startsWith(p));
  expect(under(bucket, OLD)).toEqual(under(old, OLD));
  expect(bucket[OLD + FULL]).toBeUndefined();
  // The container fetched the segment by its full name: replay went on into it.
  const cell = Object.values(w.cells).find((c) => CONTAINER in c.containers)!;
  expect(cell.containers[CONTAINER]!.pg).toMatchObject({ replay: { from: '000000010000000000000002', to: SEGMENT } });
}

describe('rehearsing a recovery whose archive ends with a .partial', () => {
  let state: string;
  let runId: string;
  let output: string;

  beforeAll(async () => {
    const run = await rehearse();
    ({ state } = run);
    output = run.r.stdout;
    // Done with the drill's warning: the scenario's 9.5 archive is not drilled here.
    expect(run.r.code, run.r.stderr).toBe(DONE_UNDRILLED);
    runId = runIdOf(output);
  }, 300_000);

  it('serves the checked partial at the new prefix, and the container replays its segment', () => {
    assertServed(worldOf(state, runId));
    expect(output).toMatch(
      new RegExp(
        `Copy the old archive in, and its checked \\.partial under its full name — copied 11 object\\(s\\), 0 already in place; served ${SEGMENT}\\.lzo from its checked \\.partial`,
      ),
    );
    // The prove step has nothing left for the operator: only the drill could not do all its work.
    expect(output).toContain('done with warnings (1 step could not do all its work)');
  });

  it("measures the archive's last moment from the served partial, and gives its checks as evidence", () => {
    const report = readFileSync(join(state, 'runs', runId, 'report.md'), 'utf8');
    expect(report).toContain(
      `- Measured: writes after 06:09:41 (37 s before the delete) are not in the archive (2016-03-17T06:09:41Z: S3 LastModified of ${PARTIAL}, served as ${SEGMENT})`,
    );
    expect(report).toContain(
      `- s3://${BUCKET}/${OLD}${PARTIAL} checked (system identifier 6262209914512345093 as the archive's, timeline 1 as its name's, the segment after the archive's last full one 000000010000000000000005): copied server-side to s3://${BUCKET}/${NEW}${FULL}, where the container's wal-e fetches ${SEGMENT}`,
    );
    expect(report).toContain(`and ${FULL} is the copy of its .partial, served under its full name`);
    expect(report).not.toContain('aws s3 cp');
  });

  it('killed right after the copy, before the step is journaled as finished, resumes and takes the copy as served', async () => {
    const events = readJournal(join(state, 'runs', runId, 'journal.ndjson'));
    const copied = events.find((e) => e.type === 'note' && e.text.includes('copied server-side to'))!;
    expect(copied).toMatchObject({ step: 'copy-old-archive' });
    const killed = await rehearse({ DINGO_RECOVER_FAILPOINTS: `journal:${copied.seq}` });
    expect(killed.r.signal).toBe('SIGKILL');
    const id = runIdOf(killed.r.stdout);
    const cut = readJournal(join(killed.state, 'runs', id, 'journal.ndjson'));
    expect(cut.at(-1)).toMatchObject({ seq: copied.seq, step: 'copy-old-archive' });
    expect(worldOf(killed.state, id).s3[BUCKET]![NEW + FULL]).toBeDefined();

    const resumed = await runCli(['resume', id, '--yes', '--state-dir', killed.state]);
    expect(resumed.code, resumed.stderr).toBe(DONE_UNDRILLED);
    assertServed(worldOf(killed.state, id));
    const notes = readJournal(join(killed.state, 'runs', id, 'journal.ndjson')).flatMap((e) =>
      e.type === 'note' && e.step === 'copy-old-archive' && e.text.startsWith('evidence: ') ? [e.text] : [],
    );
    expect(notes).toEqual([
      expect.stringContaining(`: copied server-side to s3://${BUCKET}/${NEW}${FULL}`),
      expect.stringContaining(`: its copy found already at s3://${BUCKET}/${NEW}${FULL}`),
    ]);
  }, 300_000);
});
