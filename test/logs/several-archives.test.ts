/**
 * wal-e writes an instance's WAL to one archive, s3://$WAL_S3_BUCKET/backups/$PATRONI_SCOPE/wal/
 * (dingo-postgresql-release images/*-patroni/scripts/run.sh), and its lines reach syslog after the
 * container's `patroni>` prefix, where the tenant's PostgreSQL writes whatever a failed statement
 * holds. Lines that name a second archive for the instance are never taken in order of reading.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { renderInstance } from '../../src/commands/logs/render.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';

const GUID = '78218ded-7d88-4d69-bd44-6f478c300134';
const NODE = '52167ceb-bd3d-4bff-8699-a239d21c5379';
const BROKER = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 broker.stdout.log: ';
const CELL = `14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-${NODE}[3001]: 78218d-`;
const PLATFORM = `s3://our-postgresql-backups/backups/${GUID}/wal/`;
const TENANT = `s3://tenant-owned-bucket/backups/${GUID}/wal/`;

const broker = (at: string, epoch: number, message: string, data: Record<string, string>): string =>
  `${at} ${BROKER} ${JSON.stringify({ timestamp: `${String(epoch)}.000000000`, source: 'dingo-postgresql-broker', message: `dingo-postgresql-broker.${message}`, log_level: 1, data })}`;
const upload = (at: string, prefix: string, seg: string, time: string): string[] => [
  `${at} ${CELL}patroni>         DETAIL: Uploading "pg_xlog/${seg}" to "${prefix}wal_005/${seg}.lzo".`,
  `${at} ${CELL}patroni>         STRUCTURED: time=${time} pid=231 action=push-wal key=${prefix}wal_005/${seg}.lzo prefix=${prefix.replace(/^s3:\/\/[^/]+\//, '')} seg=${seg} state=complete`,
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'several-archives-'));
  const genuine = [
    broker('Mar 17 17:30:00', 1458235800, 'provision.start', { 'instance-id': GUID, session: '50' }),
    broker('Mar 17 17:30:01', 1458235801, 'add-node.perform', { cell: 'c1', 'instance-id': GUID, 'node-uuid': NODE }),
    `Mar 17 17:37:38 ${CELL}startup> public address 10.58.111.150:32801`,
    ...upload('Mar 17 17:38:48', PLATFORM, '000000010000000000000001', '2016-03-17T17:38:48.811154-00'),
    broker('Mar 17 18:00:00', 1458237600, 'deprovision.start', { instanceID: GUID, session: '51' }),
  ];
  // The tenant's failed statement, its text on lines of their own after the same prefix; the newer file is read first.
  const forged = [
    `Mar 17 17:50:00 ${CELL}patroni> ERROR:  syntax error at or near "DETAIL" at character 12`,
    ...upload('Mar 17 17:50:00', TENANT, '000000010000000000000009', '2016-03-17T17:50:00.000000-00'),
  ];
  await writeFile(join(dir, 'syslog.1'), genuine.join('\n') + '\n');
  await writeFile(join(dir, 'syslog'), forged.join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wal-e lines that name two archives for one instance', () => {
  it('take neither: both are named, with the line that named each', async () => {
    for (const paths of [
      [join(dir, 'syslog'), join(dir, 'syslog.1')],
      [join(dir, 'syslog.1'), join(dir, 'syslog')],
    ]) {
      const facts = await findInstance({ sources: openLogSource({ paths }), instanceGuid: GUID, redactor: new Redactor() });
      expect(facts.archivePrefix).toBeNull();
      expect([...facts.archivePrefixes].sort()).toEqual([PLATFORM, TENANT]);
      const why = facts.evidence.filter((e) => /one of 2 archives its lines name/.test(e.why)).map((e) => e.line);
      expect(why).toEqual(expect.arrayContaining([expect.stringContaining(PLATFORM), expect.stringContaining(TENANT)]));
      expect(renderInstance(facts)).toContain(`archive:   2 named, none taken: `);
    }
  });

  it('leave the deleted instance found, with no archive taken', async () => {
    const found = await findDeletedInstance({ sources: openLogSource({ paths: [dir] }), serviceName: 'x', redactor: new Redactor() });
    const c = found.candidates.find((k) => k.instanceGuid === GUID);
    expect(c?.deletedAt).toBe('2016-03-17T18:00:00.000Z');
    expect(c?.archivePrefix).toBeNull();
    expect(c?.archivePrefixes).toHaveLength(2);
  });

  it('alone name one archive, taken', async () => {
    const facts = await findInstance({
      sources: openLogSource({ paths: [join(dir, 'syslog.1')] }),
      instanceGuid: GUID,
      redactor: new Redactor(),
    });
    expect(facts.archivePrefix).toBe(PLATFORM);
    expect(facts.archivePrefixes).toEqual([PLATFORM]);
  });
});
