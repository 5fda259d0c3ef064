/**
 * pitr.dump for a copy that goes into a new service: the dumps are made by the pg_dump of the
 * archive's own major (the service's), whose pg_restore reads them; without it here the step stops
 * before anything is dumped or restored again, naming where it looked and what to install.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { restoreTimeDumpActions } from '../../../src/actions/restore-time/dump.js';
import { StepFailed } from '../../../src/core/errors.js';
import { localClientOf } from '../../../src/volumes/look.js';
import type { StepContext } from '../../../src/engine/executor/index.js';
import { testRuntime } from '../../support/runtime.js';

const dump = restoreTimeDumpActions.find((a) => a.name === 'pitr.dump')!;
const root = mkdtempSync(join(tmpdir(), 'dump-client-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A major no Debian machine of ours installs, so only $DINGO_RECOVER_PG_ROOT can hold it. */
const MAJOR = '9.3';

const params = (into: string) => ({
  restored: true,
  dataDir: join(root, 'no-copy-here'),
  url: 's3://bucket/backups/guid/wal/',
  target: ['--target-time', '2016-03-17T05:00:00Z'],
  major: MAJOR,
  databases: ['shop'],
  found: ['shop'],
  copyName: 'shop-copy',
  into,
});

function context(env: Record<string, string>): StepContext {
  const notes: string[] = [];
  return {
    runtime: testRuntime({ env }),
    runDir: root,
    note: (t: string) => void notes.push(t),
    evidence: (t: string) => void notes.push(t),
    progress: () => {},
    warn: (t: string) => void notes.push(t),
  } as unknown as StepContext;
}

it("refuses to dump a copy for a new service without the archive's own pg_dump, naming where it looked", async () => {
  const err = (await dump.run(context({ DINGO_RECOVER_PG_ROOT: root }), params('service'), {}).catch((e: unknown) => e)) as StepFailed;
  expect(err).toBeInstanceOf(StepFailed);
  expect(err.message).toBe(
    `the copy goes into a new service, which runs the archive's PostgreSQL ${MAJOR}: its pg_restore reads no dump of a newer pg_dump, and there is no pg_dump ${MAJOR} here (looked in ${root}/${MAJOR}/bin and /usr/lib/postgresql/${MAJOR}/bin)`,
  );
  expect(err.hint).toContain(`install PostgreSQL ${MAJOR}'s client here (postgresql-client-${MAJOR}`);
});

it("takes the archive's own client under $DINGO_RECOVER_PG_ROOT when it holds psql, pg_dump, pg_restore and pg_isready", async () => {
  const bin = join(root, MAJOR, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const c of ['psql', 'pg_dump', 'pg_restore']) writeFileSync(join(bin, c), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  expect(await localClientOf(MAJOR, root)).toEqual({ missing: bin });
  writeFileSync(join(bin, 'pg_isready'), '#!/bin/sh\nexit 1\n', { mode: 0o644 });
  expect(await localClientOf(MAJOR, root)).toEqual({ missing: bin });
  chmodSync(join(bin, 'pg_isready'), 0o755);
  expect(await localClientOf(MAJOR, root)).toEqual({ bin });
});
