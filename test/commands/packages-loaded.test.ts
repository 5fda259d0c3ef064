/**
 * A command loads the clients of the systems it reaches, and no others: a rehearsal, whose platform
 * is simulated, never loads the AWS SDK, ssh2, undici or the proxy agents (a quarter of a
 * rehearsal's CPU on a busy machine, and of its memory), nor node-tar unless its archive holds bytes
 * the drill extracts and streams. Each command runs as operators run
 * it, with Node's module hooks logging every npm package it resolves.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, DONE_DRILLED_ON_CELL, DONE_UNDRILLED, runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dr-packages-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const REGISTER = fileURLToPath(new URL('../support/package-loads/register.mjs', import.meta.url));
const LIVE_CLIENTS = ['@aws-sdk/client-s3', 'ssh2', 'undici', 'http-proxy-agent', 'https-proxy-agent', 'dockerode', 'tar'];

/** The npm packages `dingo-recover ARGS` resolved, and its exit code. */
async function packagesOf(name: string, args: string[]): Promise<{ code: number | null; packages: Set<string>; output: string }> {
  const log = join(dir, `${name}.log`);
  const [node, bin] = CLI;
  const r = await runCli([...args, '--state-dir', join(dir, name)], {
    program: [node!, '--import', REGISTER, bin!],
    env: { DINGO_TEST_PACKAGE_LOG: log },
  });
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // Nothing resolved: no file.
  }
  return { code: r.code, packages: new Set(text.split('\n').filter(Boolean)), output: r.stdout + r.stderr };
}

describe('the packages a command loads', () => {
  it('a rehearsal whose archive holds no bytes loads none of the live clients', async () => {
    const r = await packagesOf('rehearse-sizes', ['rehearse', '--scenario', 'later-broker', '--yes']);
    // Done with warnings (8): the scenario holds its archive's sizes and ETags, so nothing is drilled or streamed.
    expect(r.code, r.output).toBe(DONE_UNDRILLED);
    expect(r.packages, 'the hooks saw the packages it did load').toContain('yaml');
    expect(LIVE_CLIENTS.filter((p) => r.packages.has(p))).toEqual([]);
  });

  it('the bundled rehearsal, whose archive it drills, loads node-tar and none of the other live clients', async () => {
    const r = await packagesOf('rehearse', ['rehearse', '--yes']);
    // Done (0): the archive's bytes are extracted here and streamed as a tar into the simulated cell's drill container.
    expect(r.code, r.output).toBe(DONE_DRILLED_ON_CELL);
    expect(r.packages).toContain('tar');
    expect(LIVE_CLIENTS.filter((p) => p !== 'tar' && r.packages.has(p))).toEqual([]);
  });

  it('a command that reaches S3 loads the AWS SDK (so the hooks see what is loaded late)', async () => {
    const r = await packagesOf('inspect', [
      'archive',
      'inspect',
      's3://no-such-bucket-here/backups/x/',
      '--s3-endpoint',
      'http://127.0.0.1:9',
    ]);
    expect(r.code, r.output).not.toBe(0);
    expect(r.packages).toContain('@aws-sdk/client-s3');
  });
});
