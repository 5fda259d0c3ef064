import { copyFile, mkdtemp, readFile, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { generateLogs, type GenerateOptions } from '../support/generate-logs.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/logs');
interface Truth {
  generator: Omit<GenerateOptions, 'dir'>;
  mtimes: Record<string, string>;
  expected: Record<string, string>;
  instances: { guid: string; name: string; deletedAt: string | null; archivePrefix: string }[];
}

let work: string;
let truth: Truth;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'logs-fixtures-'));
  truth = JSON.parse(await readFile(join(FIXTURES, 'generated.truth.json'), 'utf8')) as Truth;
  const dir = join(work, 'generated');
  await (await import('node:fs/promises')).mkdir(dir);
  for (const [name, mtime] of Object.entries(truth.mtimes)) {
    await copyFile(join(FIXTURES, 'generated', name), join(dir, name));
    await utimes(join(dir, name), new Date(mtime), new Date(mtime));
  }
  await copyFile(join(FIXTURES, 'runbook-2016.log'), join(work, 'runbook-2016.log'));
  await utimes(join(work, 'runbook-2016.log'), new Date('2016-03-18T02:00:00Z'), new Date('2016-03-18T02:00:00Z'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('committed fixtures', () => {
  it('are exactly what the generator writes (it is deterministic)', async () => {
    const again = join(work, 'again');
    await generateLogs({ dir: again, ...truth.generator });
    const names = (await readdir(join(FIXTURES, 'generated'))).sort();
    expect((await readdir(again)).sort()).toEqual(names);
    for (const n of names) {
      const a = gunzipSync(await readFile(join(FIXTURES, 'generated', n)));
      const b = gunzipSync(await readFile(join(again, n)));
      expect(a.equals(b), n).toBe(true);
    }
  });

  it('the finder gives the expected answer for every name', async () => {
    for (const [name, guid] of Object.entries(truth.expected)) {
      const r = await findDeletedInstance({
        redactor: new Redactor(),
        sources: openLogSource({ paths: [join(work, 'generated')] }),
        serviceName: name,
      });
      expect(r.candidates[0]?.instanceGuid, name).toBe(guid);
      expect(r.candidates[0]!.confidence).toBe('high');
    }
  });

  it("the runbook's own lines: one unnamed 2016 deletion, shown with the remove-node line and the haproxy reload", async () => {
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [join(work, 'runbook-2016.log')] }),
      serviceName: 'important-db',
    });
    expect(r.candidates).toHaveLength(1);
    const c = r.candidates[0]!;
    expect(c).toMatchObject({
      instanceGuid: '6e101b27-ee1b-4f4d-a032-4401a3709ec3',
      serviceName: null,
      deletedAt: '2016-03-17T06:10:17.897Z',
      archivePrefix: 's3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/',
      // The runbook's excerpt holds wal-e's "begin" lines only: no upload is seen completed.
      lastWalUploadAt: null,
      lastWalPushAt: '2016-03-17T02:11:48.811Z',
      nodes: [{ nodeUuid: 'c8ce128e-7b4c-4fe7-a533-e9379356f906', cell: '10.58.111.150' }],
      confidence: 'medium',
    });
    expect(c.evidence.map((e) => e.why).join('\n')).toMatch(/haproxy was reloaded \d s after the last node was removed/);
  });

  it('the runbook\'s new container: cell from the 2016 "public address" line, archive from its sysid upload', async () => {
    const f = await findInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [join(work, 'runbook-2016.log')] }),
      instanceGuid: '78218ded-7d88-4d69-bd44-6f478c300134',
    });
    expect(f.nodes).toEqual([{ nodeUuid: '52167ceb-bd3d-4bff-8699-a239d21c5379', cell: '10.58.111.150' }]);
    expect(f.archivePrefix).toBe('s3://our-postgresql-backups/backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/');
    expect(f.evidence.find((e) => e.why.includes('runs on cell'))!.why).toMatch(/year 2016 from dated lines of the same file/);
  });

  it("a copy that reset the files' time (a checkout, scp without -p) still reads 2016 from the dated lines", async () => {
    const seed = resolve(import.meta.dirname, '../../fixtures/seed-003/syslog');
    const dir = join(work, 'seed-copied');
    await (await import('node:fs/promises')).mkdir(dir);
    const now = new Date('2026-11-23T03:00:00Z');
    for (const name of await readdir(seed)) {
      await copyFile(join(seed, name), join(dir, name));
      await utimes(join(dir, name), now, now);
    }
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ paths: [dir] }),
      serviceName: 'important-db',
    });
    expect(r.candidates.map((c) => c.instanceGuid)).toEqual(['6e101b27-ee1b-4f4d-a032-4401a3709ec3']);
    expect(r.candidates[0]!.deletedAt).toBe('2016-03-17T06:10:17.897Z');
    // The undated "Archiving ... complete" line at 23:01:31 local is 06:01:31 UTC once the zone is known.
    expect(r.candidates[0]!.lastWalUploadAt).toBe('2016-03-17T06:01:31.000Z');
    const whys = r.candidates[0]!.evidence.map((e) => e.why).join('\n');
    expect(whys).toMatch(/year 2016 from dated lines of the same file, its syslog time read as UTC-07:00/);
    expect(whys).not.toMatch(/2026/);
  });
});
