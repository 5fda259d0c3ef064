import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stdinValues } from '../../../src/commands/flags/stdin-values.js';
import { runCli } from '../../support/cli.js';
import { generateLogs, type GeneratedLogs } from '../../support/generate-logs.js';

describe('a lone - among the values of --logs', () => {
  it('is given to --logs, alone, after other values, or after --logs=V', () => {
    expect(stdinValues(['logs', 'find', '--logs', '-'])).toEqual(['logs', 'find', '--logs', '--logs=-']);
    expect(stdinValues(['--logs', 'a.log', '-', 'b.gz', '--json'])).toEqual(['--logs', 'a.log', '--logs=-', 'b.gz', '--json']);
    expect(stdinValues(['--logs=a.log', '-'])).toEqual(['--logs=a.log', '--logs=-']);
  });

  it('is left alone after another flag, and after --', () => {
    expect(stdinValues(['--logs', 'a', '--since', '1d', '-'])).toEqual(['--logs', 'a', '--since', '1d', '-']);
    expect(stdinValues(['--logs', 'a', '--', '-', '--logs', '-'])).toEqual(['--logs', 'a', '--', '-', '--logs', '-']);
  });
});

describe('logs find --logs -', () => {
  let dir: string;
  let truth: GeneratedLogs;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logs-stdin-'));
    truth = await generateLogs({ dir: join(dir, 'logs'), seed: 9 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The instances `logs find` ranks for important-db from LOGS, stdin giving INPUT. */
  async function found(logs: string[], input?: string): Promise<string[]> {
    const r = await runCli(['logs', 'find', '--service-name', 'important-db', '--json', '--logs', ...logs], { input });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { candidates: { instanceGuid: string }[] }).candidates.map((c) => c.instanceGuid);
  }

  it('reads the syslog piped in, alone or beside files, as it reads the same file given by name', async () => {
    const plain = truth.files.find((f) => !f.endsWith('.gz'))!;
    const input = await readFile(plain, 'utf8');
    const byName = await found([plain]);
    expect(byName.length).toBeGreaterThan(0);
    expect(await found(['-'], input)).toEqual(byName);
    const all = await found(truth.files);
    expect(all[0]).toBe(truth.expectedFor('important-db')!.guid);
    expect(await found([...truth.files.filter((f) => f !== plain), '-'], input)).toEqual(all);
  });
});
