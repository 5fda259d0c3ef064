/**
 * A live recovery (real sshd, etcd, moto, cf/bosh/docker processes, as live.test.ts) whose syslog
 * also holds lines another tenant's database logged from its container: an upload after the
 * deletion, an upload into a look-alike bucket, broker records, a restore.done whose password is
 * the bucket, and a claim to be a node of the new instance. The right database comes back.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { prepareCase, startLiveServers, type LiveCase, type LiveServers } from '../../support/live/platform.js';
import { assertNoSecrets, assertRecovered } from '../../support/live/recovered.js';
import { BUCKET, CELL_HOST, CELL_IP, ONE_RUN_MS, OLD_GUID, archivePrefix } from '../../support/live/shared.js';
import { syslogTime } from '../../support/generate-logs.js';
import { ifStarted } from '../../support/started.js';
import { containerLines, forgedTenantLines, walUpload } from '../../support/forged-lines.js';

const TENANT_NODE = 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b';

/** What the other tenant's database logs, after its container's own prefix. */
const tenant = containerLines(CELL_HOST, `cf-${TENANT_NODE}`, 'd2c4e6');

function forged(newGuid: string): string[] {
  const now = syslogTime(Date.now());
  return [
    ...forgedTenantLines(tenant, { bucket: BUCKET, oldGuid: OLD_GUID, cellIp: CELL_IP, tenantNode: TENANT_NODE }),
    tenant(now, `upload: tmp/sysids/sysid to s3://${BUCKET}/${archivePrefix(newGuid)}sysids/sysid`),
    tenant(now, walUpload(`s3://${BUCKET}-mirror/${archivePrefix(newGuid)}`)),
  ];
}

describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover recover, live, with forged tenant lines in the syslog', () => {
  let servers: LiveServers;
  let c: LiveCase;
  let run: CliResult;
  let runId: string;
  beforeAll(async () => {
    servers = await startLiveServers();
    c = await prepareCase(servers, 'forged');
    // The tenant's lines sit beside the platform's, in a cell's file the search reads.
    const file = join(c.dir, 'logs', 'tenant-cell.log');
    writeFileSync(file, forged(c.newGuid).join('\n') + '\n');
    const mtime = new Date();
    utimesSync(file, mtime, mtime);
    run = await runCli(['recover', ...c.liveArgs, '--verbose', '--state-dir', c.stateDir], { env: c.env });
    runId = runIdOf(run.stdout);
  }, ONE_RUN_MS + 60_000);
  afterAll(async () => {
    await ifStarted(c)?.cleanup();
    await ifStarted(servers)?.stop();
  });

  it('brings the right database back into the new instance', async () => {
    expect(run.code, run.stdout + run.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(run.stdout).toContain(`run ${runId} is done`);
    await assertRecovered(servers, c);
  });

  it('warns about the forged lines naming the container, and redacts no archive URL', () => {
    expect(run.stdout).toMatch(new RegExp(`line\\(s\\) written by container cf-${TENANT_NODE} ignored`));
    expect(run.stdout).toContain(`s3://${BUCKET}/${archivePrefix(OLD_GUID)}`);
    expect(run.stdout).not.toContain('s3://[REDACTED]');
    assertNoSecrets(c, runId, run.stdout + run.stderr);
  });
});
