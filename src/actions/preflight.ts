/**
 * Everything that can be checked is checked before the first destructive step: the container still
 * serves the new instance and its data folder is one a flush may empty, registrator runs on the
 * cell (or the restarted container is never registered), the cell and etcd (through
 * the cell) answer, the instance has exactly one node (support/one-node.ts), the S3 credentials
 * read both archives, and the quarantine overlaps neither.
 * Nothing is changed; a failure here leaves the run resumable with the flag that fixes it.
 */
import { newCluster } from './support/params.js';
import { defineAction, type ActionDef, output, required } from '../engine/runbook/index.js';
import type { StepContext } from '../engine/executor/index.js';
import { DingoError, StepFailed } from '../core/errors.js';
import { CellDocker } from '../adapters/docker.js';
import { assertVolumeDataDir } from '../adapters/cell-files.js';
import { parseS3Location, pinnedArchiveProblem, urlOf, utcStamp } from '../archive/location.js';
import type { ContainerInfo } from '../adapters/docker.js';
import { containerArchiveUrl } from './support/served.js';
import { preflightSwap } from '../archive/check.js';
import type { CellSession } from '../core/seams.js';
import { registratorHint, registratorRuns } from './support/registrator.js';
import { proveOneNode } from './support/one-node.js';

function cellDocker(ctx: StepContext, session: CellSession): CellDocker {
  return new CellDocker(session, {
    binary: ctx.settings.dockerBinary,
    host: ctx.settings.dockerHost,
    sudo: true,
    redactor: ctx.runtime.redactor,
  });
}

async function check(ctx: StepContext, what: string, fn: () => Promise<string>, hint: string): Promise<void> {
  try {
    ctx.evidence(`${what}: ${await fn()}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new StepFailed(`before anything is stopped or moved, ${what} failed: ${message}`, {
      hint: `${hint}; nothing has been changed yet`,
      cause: err,
    });
  }
}

/**
 * The new instance's archive is where its container archives (WAL_S3_BUCKET and PATRONI_SCOPE of
 * its environment), and the old one is Dingo's prefix for the deleted instance in the platform's
 * WAL bucket (--wal-bucket, else the container's): an archive anywhere else is refused.
 */
function checkArchivesPinned(
  ctx: StepContext,
  info: ContainerInfo,
  container: string,
  p: { instanceGuid: string; oldInstanceGuid: string; from: string; to: string },
): string {
  const envBucket = info.env.WAL_S3_BUCKET ?? '';
  const own = containerArchiveUrl(info, container);
  if (urlOf(parseS3Location(p.to)) !== own)
    throw new Error(`the target ${p.to} is not where it archives: its environment says ${own} (WAL_S3_BUCKET and PATRONI_SCOPE)`);
  const bucket = ctx.settings.walBucket ?? envBucket;
  if (ctx.settings.walBucket && ctx.settings.walBucket !== envBucket)
    throw new Error(`its WAL_S3_BUCKET is ${envBucket}, but --wal-bucket says the platform's WAL bucket is ${ctx.settings.walBucket}`);
  const problem = pinnedArchiveProblem(p.from, bucket, p.oldInstanceGuid);
  if (problem) throw new Error(`the old archive ${p.from} is refused: ${problem}`);
  const source = ctx.settings.walBucket ? '--wal-bucket' : `WAL_S3_BUCKET of ${container}`;
  return `archive locations: the target ${own} is the container's own; the source ${p.from} is Dingo's prefix for ${p.oldInstanceGuid} in the platform's WAL bucket ${bucket} (${source})`;
}

const preflight = defineAction({
  name: 'recovery.preflight',
  summary: 'Check everything the destructive steps rely on, before the first of them',
  effect: 'read',
  params: {
    ...newCluster,
    serviceName: required('string', 'the new service instance'),
    deployment: required('string', "the BOSH deployment of the container's cell"),
    oldInstanceGuid: required('string', 'the deleted instance, whose archive is copied in'),
    from: required('string', "the deleted instance's archive"),
    to: required('string', "the new instance's archive, as the quarantine, copy and verify steps use it"),
  },
  outputs: { checked: output('string[]', 'what was checked') },
  async run(ctx, p) {
    const cellIp = p.cellIp;
    const container = p.container;
    const checked: string[] = [];
    let dataDir = '';
    let archives = '';
    await check(
      ctx,
      `the container ${container} on ${cellIp}`,
      async () => {
        const docker = cellDocker(ctx, await ctx.cell(cellIp));
        const info = await docker.inspect(container);
        if (!info) throw new Error(`no container ${container}`);
        if (info.env.PATRONI_SCOPE !== p.instanceGuid)
          throw new Error(`it serves ${info.env.PATRONI_SCOPE ?? '(no PATRONI_SCOPE)'}, not ${p.instanceGuid}`);
        if (!info.dataDir) throw new Error('it has no /data mount');
        dataDir = info.dataDir;
        archives = checkArchivesPinned(ctx, info, container, p);
        return `answers; PATRONI_SCOPE=${info.env.PATRONI_SCOPE}, /data → ${info.dataDir}`;
      },
      "check the cell is reachable (--gateway, --ssh-config) and the container is the new instance's; an archive location refused here was found where it names: check the GUIDs and the platform's WAL bucket (--wal-bucket), then resume",
    );
    checked.push('container');
    await check(
      ctx,
      `registrator on ${cellIp}`,
      async () => registratorRuns(cellDocker(ctx, await ctx.cell(cellIp))),
      registratorHint(cellIp, ctx.runId),
    );
    checked.push('registrator');
    ctx.evidence(archives);
    checked.push('archive locations');
    await check(
      ctx,
      `the data folder ${dataDir}`,
      () => {
        try {
          assertVolumeDataDir(dataDir, ctx.settings.containerStoreRoot);
        } catch (err) {
          throw new Error(
            err instanceof DingoError ? `${err.message} (--container-store-root is ${ctx.settings.containerStoreRoot})` : String(err),
            { cause: err },
          );
        }
        return Promise.resolve(`inside ${ctx.settings.containerStoreRoot}, so it may be emptied`);
      },
      `if the cell keeps container volumes elsewhere, resume with --container-store-root set to the folder holding ${dataDir.replace(/\/[^/]+\/data\/?$/, '/') || 'the volumes'}`,
    );
    checked.push('data folder');
    await check(
      ctx,
      `etcd at ${p.etcdHostPort} (through ${cellIp})`,
      async () => {
        const etcd = await (await ctx.cell(cellIp)).etcd(p.etcdHostPort);
        const value = await etcd.get(`/service/${p.instanceGuid}/initialize`);
        return `answers; /service/${p.instanceGuid}/initialize is ${value === null ? 'absent' : 'set'}`;
      },
      'check etcd is reachable from the cell (ETCD_HOST_PORT of the container), then resume',
    );
    checked.push('etcd');
    // Its own failure says how to go on: more than one node is no fault of the cell or etcd.
    ctx.evidence(`one node: ${await proveOneNode(ctx, p)}`);
    checked.push('one node');
    await check(
      ctx,
      'the archives in S3',
      async () => {
        const swap = await preflightSwap(ctx.s3, p.from, p.to, utcStamp(ctx.now()));
        for (const f of swap.facts) ctx.evidence(f);
        return `the source ${urlOf(swap.source)} is readable, the target ${urlOf(swap.target)} listable, and the quarantine ${urlOf(swap.quarantine)} overlaps neither`;
      },
      'give S3 credentials that can read the source and list and write the target (the AWS credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE); check the GUIDs found; then resume',
    );
    checked.push('archives');
    return { checked };
  },
});

export const preflightActions: ActionDef[] = [preflight];
