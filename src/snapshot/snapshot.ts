/**
 * `snapshot`: what a recovery of one service would read of a live platform — cf, BOSH, the log
 * lines of the finder, the candidates' archives, containers and etcd keys — read through the same
 * seams and adapters, secrets replaced by stand-ins, written as a scenario a rehearsal loads.
 * It only reads: every command it runs is a read, and its S3 store refuses writes.
 */
import type { Platform } from '../core/seams.js';
import type { LogSource } from '../core/log-source.js';
import { UsageError } from '../core/errors.js';
import { parseS3Url } from '../core/s3-url.js';
import type { Redactor } from '../core/redact.js';
import type { ClusterdataSpec } from '../logs/types.js';
import type { CellWorld, SimContainer } from '../rehearsal/cell-world.js';
import type { ScenarioWorld } from '../rehearsal/world-shape.js';
import { readArchives } from './archive-read.js';
import { dingoCells, readBosh } from './bosh-read.js';
import { optionalInput, snapshotCandidates, type SnapshotInstance, type SnapshotSubject } from './candidates.js';
import { readCellsAndEtcd, type NodeAt } from './cells-read.js';
import { CfReader } from './cf-read.js';
import { readLogs } from './logs-read.js';
import { archivedDatabases, placement } from './platform-world.js';
import { StandIns } from './stand-ins.js';
import { requireFreshDir, writeSnapshot } from './write.js';

export { answersSubject, type SnapshotSubject } from './candidates.js';

export interface SnapshotRequest {
  platform: Platform;
  tools: { cfBinary?: string; boshBinary?: string; dockerBinary?: string; dockerHost?: string };
  sources: LogSource;
  clusterdata?: ClusterdataSpec;
  /** The answers file's inputs (org, space, serviceName, plan, apps), written back as the scenario's answers. */
  inputs: Record<string, unknown>;
  /** The service a recovery of it would look for (absent: the answers' whole space). */
  serviceName?: string;
  /** The name is restore-to-time's instance, which may be alive: cf's instance of that name first. */
  mayBeLive?: boolean;
  /** The instance chosen already (a run's finder, --deleted-instance): its archive and containers are read. */
  subject?: SnapshotSubject;
  /** The runbook the scenario is rehearsed with (absent: the bundled recovery, or `spaceRunbook` for a whole space). */
  runbook?: string;
  /** The runbook that recovers a whole deleted space, for answers that name no service. */
  spaceRunbook?: string;
  region?: string;
  out: string;
  /** Registers the secrets read and replaces them (the run's with --record, else the command line's). */
  redactor: Redactor;
  /** When it is taken (the run's clock with --record). */
  now: Date;
}

export interface SnapshotSummary {
  dir: string;
  written: { path: string; bytes: number }[];
  logs: { lines: number; bytes: number; dropped: number };
  candidates: string[];
  containers: number;
  etcdKeys: number;
  objects: number;
  /** What could not be read, so the snapshot holds less than a recovery would read. */
  gaps: string[];
}

function text(inputs: Record<string, unknown>, key: string): string {
  const v = inputs[key];
  if (typeof v !== 'string' || !v.trim()) {
    throw new UsageError(`the answers file has no inputs.${key}: a snapshot reads what a recovery of that service would read`, {
      hint: 'give inputs: org, space and serviceName in the answers file, as for recover',
    });
  }
  return v.trim();
}

/** Each candidate's nodes with the IP of their cell (the logs name a cell by IP or by its VM id). */
function nodesOf(candidates: SnapshotInstance[], cellIps: Map<string, string>): NodeAt[] {
  const ipOfVm = new Map([...cellIps].filter(([, vm]) => vm).map(([ip, vm]) => [vm, ip]));
  return candidates.flatMap((c) =>
    c.nodes.flatMap((n) => {
      const cellIp = n.cell && (cellIps.has(n.cell) ? n.cell : ipOfVm.get(n.cell));
      return cellIp ? [{ container: `cf-${n.nodeUuid}`, cellIp }] : [];
    }),
  );
}

export async function takeSnapshot(r: SnapshotRequest): Promise<SnapshotSummary> {
  const dir = requireFreshDir(r.out);
  const serviceName = r.serviceName;
  // recover-space's spaceGuid "find" (its default, as a run journals it) asks for the deletion event's GUID.
  const givenSpaceGuid = optionalInput(r.inputs, 'spaceGuid');
  const spaceGuid = givenSpaceGuid?.toLowerCase() === 'find' ? undefined : givenSpaceGuid;
  const answers = { org: text(r.inputs, 'org'), space: text(r.inputs, 'space'), spaceGuid };
  const cfReader = new CfReader(r.platform.cf, r.tools.cfBinary, r.redactor);
  const gaps = cfReader.gaps;
  const cf = await cfReader.read(answers);
  const bosh = await readBosh(r.platform.bosh, r.tools.boshBinary, r.redactor);
  const cellIps = dingoCells(bosh);
  const logs = await readLogs(r.sources);
  const { candidates, chosen, ...found } = await snapshotCandidates({
    ...answers,
    sources: r.sources,
    clusterdata: r.clusterdata,
    serviceName,
    mayBeLive: r.mayBeLive,
    subject: r.subject,
    cf,
    deletedSpaceGuid: cfReader.deletedSpaceGuid,
    redactor: r.redactor,
  });
  const guids = candidates.map((c) => c.instanceGuid);
  const docker = { binary: r.tools.dockerBinary, host: r.tools.dockerHost, redactor: r.redactor };
  const home = candidates.find((c) => c.instanceGuid === chosen) ?? candidates[0];
  const homeCell = home && nodesOf([home], cellIps)[0]?.cellIp;
  const nodes = nodesOf(candidates, cellIps);
  const read = await readCellsAndEtcd(r.platform.cells, [...cellIps.keys()], nodes, docker, guids, gaps, homeCell);
  const { etcd } = read;
  const etcdHostPort = read.etcdHostPort ?? `${firstEtcdIp(bosh) ?? '127.0.0.1'}:4001`;
  const urls = candidates.flatMap((c) => c.archivePrefix ?? []);
  const s3 = await readArchives(r.platform.s3, urls, gaps, r.redactor);
  const standIns = new StandIns(r.redactor);
  const cells = withStandIns(read.cells, standIns);
  const like = Object.values(cells).flatMap((c) => Object.values(c.containers))[0];
  const cellIp = read.placementCell ?? '10.0.0.1';
  const bucket = urls[0] ? parseS3Url(urls[0]).bucket : 'wal-bucket';
  const facts = { cellIp, bucket, region: r.region ?? 'us-east-1', etcdHostPort, like };
  const world: ScenarioWorld = {
    clock: r.now.toISOString(),
    cf,
    bosh,
    cells,
    cellHosts: Object.fromEntries([...cellIps].filter(([, vm]) => vm)),
    etcd,
    s3,
    databases: archivedDatabases(s3, like),
    serving: {},
    placements: Array.from({ length: Math.max(1, candidates.length) }, (_, i) => placement(facts, i + 1)),
  };
  const written = writeSnapshot({
    dir,
    title: `Snapshot of ${answers.org}/${answers.space}${serviceName ? `: ${serviceName}` : ' (the deleted space)'}`,
    runbook: r.runbook ?? (found.wholeSpace ? r.spaceRunbook : undefined),
    description: `Taken ${world.clock!} from ${cf.api.url} (cf ${cf.version}, bosh ${bosh.version}); secrets replaced by stand-ins.`,
    world,
    logs,
    answers: { inputs: r.inputs, ...(chosen ? { choose: { deletedInstance: chosen } } : {}) },
    clean: (t) => standIns.text(t),
    cleanLine: (l) => standIns.line(l),
  });
  return {
    dir,
    written,
    logs: { lines: logs.lines, bytes: logs.bytes, dropped: logs.dropped },
    candidates: guids,
    containers: Object.values(cells).reduce((n, c) => n + Object.keys(c.containers).length, 0),
    etcdKeys: Object.keys(etcd).length,
    objects: Object.values(s3).reduce((n, b) => n + Object.keys(b).length, 0),
    gaps: gaps.map((g) => r.redactor.redact(g)),
  };
}

function firstEtcdIp(bosh: ScenarioWorld['bosh']): string | undefined {
  return bosh.deployments.flatMap((d) => d.vms).find((v) => v.job.startsWith('etcd'))?.ips[0];
}

/** The cells with every container's credentials replaced. */
function withStandIns(cells: Record<string, CellWorld>, standIns: StandIns): Record<string, CellWorld> {
  const clean = (c: SimContainer): SimContainer => ({ ...c, env: standIns.env(c.env) });
  return Object.fromEntries(
    Object.entries(cells).map(([ip, cell]) => [
      ip,
      { ...cell, containers: Object.fromEntries(Object.entries(cell.containers).map(([n, c]) => [n, clean(c)])) },
    ]),
  );
}
