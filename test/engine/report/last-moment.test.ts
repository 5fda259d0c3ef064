/** The archive's last moment against the deletion, as the recovery's report measures it. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTranscript, lastMomentPhrase, renderIncidentReport } from '../../../src/engine/report/index.js';
import { Journal, type EventBody } from '../../../src/engine/journal/index.js';
import { JOURNAL_FILE, createRunDir, loadRun } from '../../../src/engine/run/index.js';
import { loadRunbook } from '../../../src/engine/runbook/index.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { Redactor } from '../../../src/core/redact.js';
import { processRuntime } from '../../../src/core/runtime.js';
import { ROOT } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs('dr-last-moment-');
const SOURCE = 'S3 LastModified of wal_005/000000010000000000000009.lzo';

describe('lastMomentPhrase', () => {
  it('names the last moment, how long before the delete it was, and what gives it', () => {
    expect(lastMomentPhrase('2016-03-17T06:10:17Z', '2016-03-17T06:01:30.400Z', SOURCE)).toBe(
      `writes after 06:01:30 (527 s before the delete) are not in the archive (2016-03-17T06:01:30Z: ${SOURCE})`,
    );
  });

  it('reads the last commit time PostgreSQL gives', () => {
    expect(
      lastMomentPhrase('2016-03-17T06:10:17Z', '2016-03-17 06:10:07.25+00', 'the last commit the drill replayed from the archive'),
    ).toBe(
      'writes after 06:10:07 (10 s before the delete) are not in the archive (2016-03-17T06:10:07Z: the last commit the drill replayed from the archive)',
    );
  });

  it('says when the archive reaches past the delete, or the delete is not known', () => {
    expect(lastMomentPhrase('2016-03-17T06:10:17Z', '2016-03-17T06:10:20Z', SOURCE)).toContain('(3 s after the delete)');
    expect(lastMomentPhrase('', '2016-03-17T06:10:20Z', SOURCE)).toContain('writes after 06:10:20 (the deletion time is not known)');
    expect(lastMomentPhrase('2016-03-17T06:10:17Z', '', SOURCE)).toBe('unknown: the archive holds no WAL with a time');
  });
});

describe("the report's Measured line", () => {
  const PARTIAL = 'wal_005/00000001000000000000000A.partial.lzo';
  const runbook = loadRunbook(join(ROOT, 'runbooks/recover-deleted-service.yaml'), actionRegistry());
  const finished = (step: string, outputs: Record<string, unknown>): EventBody[] => [
    { type: 'step.started', step, params: {}, plan: {} },
    { type: 'step.finished', step, outputs, durationMs: 1 },
  ];
  const found = finished('find-deleted-instance', { instanceGuid: 'old', deletedAt: '2016-03-17T06:10:17Z' });
  const inspected = finished('inspect-old-archive', {
    lastSegmentAt: '2016-03-17T06:01:30Z',
    lastMomentAt: '2016-03-17T06:09:41Z',
    lastMomentSource: `S3 LastModified of ${PARTIAL}`,
  });
  const copied = finished('copy-old-archive', {
    servedPartials: ['s3://b/backups/new/wal/wal_005/00000001000000000000000A.lzo'],
    servedMomentAt: '2016-03-17T06:09:41Z',
    servedMomentSource: `S3 LastModified of ${PARTIAL}, served as 00000001000000000000000A`,
  });
  const drilled = finished('drill-old-archive', { lastTransactionAt: '2016-03-17 06:09:40+00', servedPartials: [PARTIAL] });

  /** The Measured line of the report of a run whose journal holds `steps`. */
  function measured(...steps: EventBody[][]): string | undefined {
    const stateDir = tmp();
    const journal = new Journal(join(createRunDir(stateDir, 'r1'), JOURNAL_FILE), processRuntime(new Redactor()));
    journal.append({
      type: 'run.created',
      runId: 'r1',
      runbook: { file: 'rb.yaml', name: runbook.name, sha256: 'x' },
      mode: 'live',
      options: {},
    });
    for (const e of steps.flat()) journal.append(e);
    journal.close();
    return renderIncidentReport(buildTranscript(loadRun(stateDir, 'r1'), runbook))
      .split('\n')
      .find((l) => l.startsWith('- Measured: '));
  }

  it('takes the served partial once the copy step served it, the inspection before', () => {
    expect(measured(found, inspected, copied)).toBe(
      `- Measured: writes after 06:09:41 (36 s before the delete) are not in the archive (2016-03-17T06:09:41Z: S3 LastModified of ${PARTIAL}, served as 00000001000000000000000A)`,
    );
    expect(measured(found, inspected)).toBe(
      `- Measured: writes after 06:09:41 (36 s before the delete) are not in the archive (2016-03-17T06:09:41Z: S3 LastModified of ${PARTIAL})`,
    );
  });

  it("takes the drill's last commit, saying whether the recovery has served the partial it replayed", () => {
    expect(measured(found, inspected, drilled, copied)).toContain(
      `(2016-03-17T06:09:40Z: the last commit the drill replayed, with WAL from ${PARTIAL}, which the recovery served under its full name)`,
    );
    expect(measured(found, inspected, drilled)).toContain(
      `with WAL from ${PARTIAL}, which the recovery serves under its full name once the archive is copied in)`,
    );
  });
});
