/**
 * The commands that only read an archive practise on a scenario's (`--scenario`), as the README's
 * "At 3 a.m." walks it on the bundled bad-write scenario: `archive mistakes` points out the bad
 * write, `drill` restores just before it with the rows it deleted, `archive inspect --window` says
 * what the backup reaches. No S3 is reached; the scenario's simulated one is read.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const ARCHIVE = 's3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
/** Nowhere to reach: a command that tried S3 would fail, not read the scenario. */
const NO_S3 = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

describe('--scenario on the commands that read an archive', () => {
  it('archive mistakes points out the bad write of the bad-write scenario and proposes the stop before it', async () => {
    const r = await runCli(['archive', 'mistakes', ARCHIVE, '--scenario', 'bad-write', '--mass-rows', '50', '--json'], { env: NO_S3 });
    expect(r.code, r.stderr).toBe(0);
    const report = (
      JSON.parse(r.stdout) as { report: { suspects: { xid: string; flags: string[] }[]; proposal: { xid: string; exclusive: boolean } } }
    ).report;
    expect(report.suspects).toEqual([expect.objectContaining({ xid: '5007', flags: ['DELETE 59 rows of postgres: public.orders'] })]);
    expect(report.proposal).toMatchObject({ xid: '5007', exclusive: true });
  });

  it('drill restores just before it, with every order it deleted', async () => {
    const r = await runCli(
      [
        'drill',
        ARCHIVE,
        '--scenario',
        'bad-write',
        '--target-xid',
        '5007',
        '--target-exclusive',
        '--query',
        'select count(*), sum(total) from orders',
      ],
      { env: NO_S3 },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| 121 \| 10934\.00/);
  });

  it('archive inspect --window says what the base backup reaches', async () => {
    const r = await runCli(['archive', 'inspect', ARCHIVE, '--scenario', 'bad-write', '--window'], { env: NO_S3 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/base_000000010000000000000003_00000040: WAL \S+ to \S+\n {4}reaches /);
  });

  it('is refused beside --s3-endpoint, and names the bundled scenarios when it is none', async () => {
    const both = await runCli(['archive', 'inspect', ARCHIVE, '--scenario', 'bad-write', '--s3-endpoint', 'http://127.0.0.1:9']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--scenario reads the scenario's simulated S3: give it or --s3-endpoint, not both");
    const none = await runCli(['archive', 'inspect', ARCHIVE, '--scenario', 'no-such-scenario']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no scenario "no-such-scenario"');
    expect(none.stderr).toContain('bad-write, later-broker, partial-wal, same-name-tenant, seed-003, space-scenario');
  });
});
