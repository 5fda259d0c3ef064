/**
 * Where large files are scanned on worker threads, in ranges, wal-e's runs are folded before the
 * finder judges them: it must conclude exactly what it concludes from every line, tenants' forged
 * lines included (each counted in the warnings as often as it was written), and still refuse them.
 */
import { readFile, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { termText, type FileHit, type LogSource } from '../../src/core/log-source.js';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { numberSkippedLines, scanFiles } from '../../src/systems/syslog/index.js';
import { containerLines, walUpload } from '../support/forged-lines.js';
import { generateLogs, type GeneratedLogs } from '../support/generate-logs.js';
import { Redactor } from '../../src/core/redact.js';

const TENANT_NODE = '80a1b2c3-0000-4000-8000-000000000002';
const FORGED = 400;

let dir: string;
let truth: GeneratedLogs;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'folded-runs-'));
  truth = await generateLogs({ dir: join(dir, 'gen'), seed: 21, files: 1, gzipFrom: Infinity, targetBytes: 6_000_000 });
  const original = truth.files[0]!;
  const { mtime } = await stat(original);
  const lines = (await readFile(original, 'utf8')).split('\n').filter((l) => l !== '');
  // A tenant's database writes wal-e's upload lines for the instance to be found, into a look-alike
  // bucket, among the real ones; and a host that is no container writes some too.
  const wanted = truth.expectedFor('important-db')!;
  const tenant = containerLines(wanted.nodes[0]!.cellAgent, `cf-${TENANT_NODE}`, 'f00d5e11-0000-4000-8000-00000000000b');
  const fake = `s3://look-alike/backups/${wanted.guid}/wal/`;
  const every = Math.floor(lines.length / FORGED);
  const out: string[] = [];
  let forged = 0;
  lines.forEach((line, i) => {
    out.push(line);
    if (i % every !== 0 || forged >= FORGED) return;
    forged += 1;
    const time = line.slice(0, 15);
    out.push(
      forged % 4 === 0 ? `${time} 10.0.0.9 cron:  ${walUpload(fake)}` : tenant(time, walUpload(fake, String(forged).padStart(24, '0'))),
    );
  });
  file = join(dir, 'syslog');
  await writeFile(file, out.join('\n') + '\n');
  await utimes(file, mtime, mtime);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The file as the finder's source, scanned on this thread (every line) or on workers in ranges (runs folded); the lines handed on are counted. */
function source(workers: number | null, handed: { lines: number }): LogSource {
  const options = workers === null ? { workerFrom: Infinity } : { workerFrom: 0, workers, minRange: 256 * 1024 };
  return {
    empty: false,
    async scan(q, report, onHit) {
      report.terms.push(...q.terms.map(termText));
      const count = (hit: FileHit): void => {
        handed.lines += 1;
        onHit(hit);
      };
      await scanFiles([file], q.terms, report, count, { since: q.since, ...options });
    },
    numberSkipped: numberSkippedLines,
  };
}

describe('wal-e runs folded on the worker threads', () => {
  it('leave the finder the same candidates, evidence, warnings and counts as every line does', async () => {
    const every = { lines: 0 };
    const whole = await findDeletedInstance({ redactor: new Redactor(), sources: source(null, every), serviceName: 'important-db' });
    expect(whole.candidates[0]!.instanceGuid).toBe(truth.expectedFor('important-db')!.guid);
    expect(whole.candidates[0]!.archivePrefix).toBe(truth.expectedFor('important-db')!.archivePrefix);
    expect(whole.searched.warnings.join('\n')).toContain(
      `${FORGED - FORGED / 4} wal-e-shaped line(s) written by container cf-${TENANT_NODE} ignored`,
    );
    expect(whole.searched.warnings.join('\n')).toContain(`${FORGED / 4} wal-e-shaped line(s) written by tag cron on host 10.0.0.9 ignored`);
    for (const workers of [1, 2, 3]) {
      const handed = { lines: 0 };
      const folded = await findDeletedInstance({ redactor: new Redactor(), sources: source(workers, handed), serviceName: 'important-db' });
      expect(folded, `${workers} worker(s)`).toEqual(whole);
      expect(handed.lines).toBeLessThan(every.lines / 2);
    }
  });

  it('leave the same facts of every instance: its archive, last WAL upload, nodes and cells', async () => {
    for (const instance of truth.instances.slice(0, 4)) {
      const whole = await findInstance({ redactor: new Redactor(), sources: source(null, { lines: 0 }), instanceGuid: instance.guid });
      const folded = await findInstance({ redactor: new Redactor(), sources: source(2, { lines: 0 }), instanceGuid: instance.guid });
      expect(folded).toEqual(whole);
      expect(whole.archivePrefix).toBe(instance.archivePrefix);
    }
  });
});
