/**
 * A replay acts on nothing: every seam of its platform refuses each call naming it, the journal it
 * replays is left as it was, and the journal of the replay itself goes with its temporary folder.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import { ReplayRefusal, refusingPlatform, replayRun } from '../../../src/engine/executor/index.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';
import { processRuntime } from '../../../src/core/runtime.js';

const ref = { bucket: 'b', key: 'backups/g/wal/000000010000000000000001.lzo' };

describe('the platform of a replay', () => {
  const p = refusingPlatform('live');
  const calls: [string, () => unknown][] = [
    ['cf: cf target -o acme', () => p.cf.run({ argv: ['cf', 'target', '-o', 'acme'], writes: false })],
    ['bosh: bosh vms', () => p.bosh.run({ argv: ['bosh', 'vms'], writes: false })],
    ['ssh to cell 10.0.0.5', () => p.cells.open('10.0.0.5')],
    ['s3.list s3://b/backups/', () => p.s3.list('b', 'backups/')],
    [`s3.head s3://b/${ref.key}`, () => p.s3.head(ref)],
    [`s3.get s3://b/${ref.key}`, () => p.s3.get(ref)],
    [`s3.getStream s3://b/${ref.key}`, () => p.s3.getStream(ref)],
    [`s3.put s3://b/${ref.key}`, () => p.s3.put(ref, 'x')],
    [`s3.copy s3://b/${ref.key} to s3://b/q`, () => p.s3.copy(ref, { bucket: 'b', key: 'q' }, 1)],
    ['s3.deleteMany s3://b/ (2 keys)', () => p.s3.deleteMany('b', ['a', 'c'])],
    ['logs', () => p.openLogs({ paths: [] })],
    ['processes.run pg_ctl stop', () => p.processes.run(['pg_ctl', 'stop'])],
    ['processes.runOk initdb', () => p.processes.runOk(['initdb'])],
    [
      'processes.pipeThrough lzop -d | tar -x',
      () => p.processes.pipeThrough(Readable.from([]), [{ argv: ['lzop', '-d'] }, { argv: ['tar', '-x'] }]),
    ],
    ['processes.scratchSandbox', () => p.processes.scratchSandbox({ writable: [] })],
    ['the Docker Engine at unix:///run/docker.sock', () => p.dockerEngine('unix:///run/docker.sock')],
  ];
  it.each(calls)('refuses %s, naming it', (call, make) => {
    let err: unknown;
    try {
      make();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReplayRefusal);
    expect((err as ReplayRefusal).call.startsWith(call)).toBe(true);
    expect((err as Error).message).toContain('a replay acts on nothing');
  });
});

describe('replaying a journal', () => {
  it('leaves the journal as it was and no folder of its own behind', async () => {
    const file = resolve(ROOT, 'test/engine/journal/golden/midcopy.ndjson');
    const before = readFileSync(file);
    // A scratch folder of its own: other replays in the suite use the system's at the same time.
    const scratch = mkdtempSync(join(tmpdir(), 'dr-replay-scratch-'));
    try {
      const actions = actionRegistry();
      const runbook = loadRunbook(join(ROOT, 'runbooks/recover-deleted-service.yaml'), actions);
      const r = await replayRun({ runbook, actions, events: readJournal(file), runtime: { ...processRuntime(), scratch } });
      // The journal predates the drill on the cell, the first step it has not reached under today's runbook.
      expect(r.end).toBe(
        `step "drill-on-cell" failed: replay: step drill-on-cell: the action cell.drill-archive's run refused (a replay acts on nothing)`,
      );
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
