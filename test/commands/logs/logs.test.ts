import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTime } from '../../../src/commands/logs/time.js';
import { StepFailed, UsageError } from '../../../src/core/errors.js';
import { generateLogs, type GeneratedLogs } from '../../support/generate-logs.js';
import { runLogs } from '../../support/logs-cli.js';

let dir: string;
let truth: GeneratedLogs;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logs-cmd-'));
  truth = await generateLogs({ dir: join(dir, 'logs'), seed: 9 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dingo-recover logs find', () => {
  it('prints the ranked candidates as JSON', async () => {
    const out = await runLogs(['logs', 'find', '--service-name', 'important-db', '--logs', join(dir, 'logs'), '--json']);
    const json = JSON.parse(out) as { candidates: Record<string, unknown>[] };
    const want = truth.expectedFor('important-db')!;
    expect(json.candidates[0]).toMatchObject({
      instanceGuid: want.guid,
      serviceName: 'important-db',
      confidence: 'high',
      archivePrefix: want.archivePrefix,
    });
    expect(Object.keys(json.candidates[0]!).sort()).toEqual([
      'archivePrefix',
      'archivePrefixes',
      'confidence',
      'createdAt',
      'deletedAt',
      'evidence',
      'inGivenSpace',
      'instanceGuid',
      'lastWalPushAt',
      'lastWalUploadAt',
      'nameFrom',
      'nodes',
      'orgGuid',
      'serviceName',
      'size',
      'spaceFrom',
      'spaceGuid',
    ]);
    // The cluster's size as the logs show it: the nodes named, the broker's record of it, the nodes its deletion removed.
    expect(Object.keys(json.candidates[0]!.size as object).sort()).toEqual(['recorded', 'removedAtDeletion', 'seen']);
    expect(Object.keys((json.candidates[0]!.evidence as object[])[0]!).sort()).toEqual(['line', 'source', 'why']);
  });

  it('prints a readable table with the evidence', async () => {
    const out = await runLogs(['logs', 'find', '--service-name', 'important-db', '--logs', ...truth.files]);
    expect(out).toMatch(new RegExp(`^1\\. ${truth.expectedFor('important-db')!.guid}  important-db  confidence: high`));
    expect(out).toMatch(/evidence:\n {3}- /);
    expect(out).toMatch(/searched 4 file\(s\)/);
  });

  it('fails with what was searched when nothing matches', async () => {
    const err = await runLogs([
      'logs',
      'find',
      '--service-name',
      'nothing-like-this',
      '--logs',
      join(dir, 'logs'),
      '--since',
      '2017-01-04',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toMatch(/no deleted instance named "nothing-like-this" was found: searched/);
  });

  it('rejects bad flags with usage errors', async () => {
    await expect(runLogs(['logs', 'find', '--service-name', 'x'])).rejects.toThrow(/no logs to search/);
    await expect(runLogs(['logs', 'find', '--service-name', 'x', '--logs', dir, '--since', 'yesterday-ish'])).rejects.toBeInstanceOf(
      UsageError,
    );
    await expect(runLogs(['logs', 'find', '--service-name', 'x', '--logs', dir, '--space-guid', 'nope'])).rejects.toThrow(/not a GUID/);
    await expect(runLogs(['logs', 'find', '--service-name', 'x', '--logs', dir, '--clusterdata', 'bucket'])).rejects.toThrow(
      /not an s3:\/\/ URL/,
    );
    await expect(runLogs(['logs', 'instance', 'not-a-guid', '--logs', dir])).rejects.toThrow(/not an instance GUID/);
  });

  it('reads ages for --since', () => {
    expect(parseTime('since', '3d', Date.UTC(2017, 0, 4))!.toISOString()).toBe('2017-01-01T00:00:00.000Z');
    expect(parseTime('since', '2017-01-02')!.toISOString()).toBe('2017-01-02T00:00:00.000Z');
  });
});

describe('dingo-recover logs instance', () => {
  it("prints the new instance's containers, cells and archive", async () => {
    const live = truth.instances.find((i) => !i.deletedAt && i.generation === 'dingo-postgresql-broker')!;
    const out = JSON.parse(await runLogs(['logs', 'instance', live.guid, '--logs', join(dir, 'logs'), '--json'])) as {
      nodes: unknown[];
      archivePrefix: string;
    };
    expect(out.archivePrefix).toBe(live.archivePrefix);
    expect(out.nodes).toEqual(expect.arrayContaining(live.nodes.map((n) => ({ nodeUuid: n.nodeUuid, cell: n.cellIp }))));
  });
});

describe('the real CLI on bad input', () => {
  it('reports garbage, truncated gzip, long lines and unreadable paths, and still answers', async () => {
    const bad = join(dir, 'bad');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'garbage.log'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const gz = gzipSync(Buffer.from('Mar 16 23:10:17 h broker.stdout.log:  {"timestamp":"1"}\n'.repeat(2000)));
    await writeFile(join(bad, 'cut.log.2.gz'), gz.subarray(0, gz.length - 40));
    await writeFile(join(bad, 'long.log'), `${'x'.repeat(1_200_000)}/wal/\nshort\n`);
    const root = resolve(import.meta.dirname, '../../..');
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${root}/src/cli.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`,
        'logs',
        'find',
        '--service-name',
        'important-db',
        '--json',
        '--logs',
        bad,
        join(dir, 'logs'),
        join(dir, 'missing'),
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(child.status).toBe(0);
    const json = JSON.parse(child.stdout) as {
      candidates: { instanceGuid: string }[];
      searched: { badInput: Record<string, number>; problems: string[] };
    };
    expect(json.candidates[0]!.instanceGuid).toBe(truth.expectedFor('important-db')!.guid);
    expect(json.searched.badInput).toMatchObject({ unreadable: 1, truncatedGzip: 1, longLine: 1 });
    expect((json.searched.badInput.binary ?? 0) + (json.searched.badInput.unknownFormat ?? 0)).toBeGreaterThan(0);
    expect(json.searched.problems.join('\n')).toMatch(/missing: ENOENT/);
  });
});
