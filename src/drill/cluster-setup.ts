/**
 * The scratch server a drill restores into: the local server binaries of the archive's major, else,
 * given a Docker Engine, the `postgres:<major>` image (systems/pg-image.ts) talked to by local client
 * binaries new enough for it (pg_dump and psql read servers older than themselves). Either way the
 * drill's own configuration is written into the restored data folder and the sandbox's settings are
 * on the server's command line. In the image the restored data folder, the server's socket folder
 * and (read-only) the WAL the drill fetched itself are bind-mounted: the container reaches no S3 and
 * holds no credential, its restore_command only copies those files.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DockerEngine, LocalProcesses } from '../core/seams.js';
import { newestLocalBin } from '../systems/pg-install.js';
import { IMAGE_DATA_DIR, IMAGE_SOCKET_DIR, requireImage } from '../systems/pg-image.js';
import { SANDBOX_SOCKET_DIR, SCRATCH_PORT, type Scratch } from '../systems/postgres/index.js';
import { sandboxSettings, settingsFor } from '../systems/pg-sandbox.js';
import { DrillFailed } from './exit-codes.js';
import { chooseLocalPg, majorNumber, type LocalPg } from './local-pg.js';
import { retargetRecoveryConfig, writeRecoveryConfig } from './recovery-config.js';
import { targetSettings, type RecoveryTarget } from './recovery-target.js';
import { ScratchCluster } from './scratch-cluster.js';
import { localRestoreCommand } from './wal-download.js';
import type { Workdir } from './workdir.js';

/** What the drill restores with: local server binaries, or the image with local client binaries (`bin`). */
export interface DrillServer extends LocalPg {
  /** The Engine that runs the `postgres:<major>` image, when no local server binaries fit the archive. */
  engine?: DockerEngine;
}

export interface ServerChoice {
  pgBin?: string;
  /** Where server and client binaries are looked for (default Debian's folder, then pg_ctl on PATH); given, only there. */
  binRoot?: string;
  engine?: DockerEngine;
}

/** The local binaries of the archive's major, else the image through the Engine given; refused saying what to install or pull. */
export async function chooseServer(major: string, o: ServerChoice, processes: LocalProcesses): Promise<DrillServer> {
  try {
    return await chooseLocalPg(major, o.pgBin, processes, o.binRoot);
  } catch (err) {
    if (!(err instanceof DrillFailed) || err.outcome !== 'could-not-run' || o.pgBin) throw err;
    if (!o.engine) {
      throw new DrillFailed('could-not-run', err.message, {
        hint: `${err.hint ?? ''} Or name this machine's Docker Engine (drill --docker-host, a runbook's --scratch-docker-host) so its postgres:${major} image runs it.`.trim(),
      });
    }
    await requireImage(o.engine, major);
    // The clients alone: a jumpbox may have only a client package (no pg_ctl) of this major or newer.
    const client = await newestLocalBin(o.binRoot);
    if (!client || client.major < majorNumber(major)) {
      throw new DrillFailed(
        'could-not-run',
        `no local PostgreSQL client (psql, pg_dump) of version ${major} or newer to talk to the postgres:${major} image`,
        { hint: `Install the PostgreSQL ${major} (or newer) client here, e.g. apt-get install postgresql-client-${major}.` },
      );
    }
    return { bin: client.bin, version: major, major, engine: o.engine };
  }
}

/** How the server ran, for the report and the step's output. */
export function serverHow(pg: DrillServer, cluster: ScratchCluster): string {
  return pg.engine ? cluster.how : `local PostgreSQL ${pg.version} (${pg.bin})`;
}

export interface ClusterSetup {
  paths: Workdir;
  pg: DrillServer;
  /** The drill's sandbox and account (systems/postgres/). */
  scratch: Scratch;
  target: RecoveryTarget | null;
  /** Pause at the target as a hot standby with these settings (standby-settings.ts) instead of ending recovery. */
  standby?: [string, string][] | null;
}

/** Where the image's server finds the WAL the drill fetched (mounted read-only). */
const IMAGE_WAL_DIR = '/var/lib/dingo-recover/wal';
/** The image's server logs into this folder of the data folder (its stderr is the container's). */
const IMAGE_LOG_DIR = 'dingo-recover-log';

/** The scratch server on the restored data: the drill's own configuration, and the sandbox's settings on its command line. */
export async function prepareCluster(s: ClusterSetup): Promise<ScratchCluster> {
  const seen = seenPaths(s);
  await writeRecoveryConfig(recoverySettings(s, seen));
  return clusterOn(s, seen);
}

/**
 * The scratch server on a copy paused at an earlier target (a hot standby, stopped), moved to another
 * target on the same timeline: its recovery settings written anew, its log read from here on.
 */
export async function retargetCluster(s: ClusterSetup): Promise<ScratchCluster> {
  const seen = seenPaths(s);
  await retargetRecoveryConfig(recoverySettings(s, seen));
  return clusterOn(s, seen, true);
}

/** The paths the server sees: in its sandbox, or where they are mounted in the image. */
function seenPaths({ pg, paths }: ClusterSetup) {
  return pg.engine
    ? { dataDir: IMAGE_DATA_DIR, socketDir: IMAGE_SOCKET_DIR, port: SCRATCH_PORT, walDir: IMAGE_WAL_DIR }
    : { dataDir: paths.dataDir, socketDir: SANDBOX_SOCKET_DIR, port: SCRATCH_PORT, walDir: paths.walDir };
}

type Seen = ReturnType<typeof seenPaths>;

function recoverySettings(s: ClusterSetup, seen: Seen) {
  return {
    dataDir: s.paths.dataDir,
    major: s.pg.major,
    restoreCommand: localRestoreCommand(seen.walDir),
    port: seen.port,
    socketDir: seen.socketDir,
    as: s.scratch.account,
    target: s.target,
    standby: s.standby,
  };
}

async function clusterOn(s: ClusterSetup, seen: Seen, logFromEnd = false): Promise<ScratchCluster> {
  const { paths, pg, scratch } = s;
  const restoreCommand = localRestoreCommand(seen.walDir);
  // From PostgreSQL 12 on the recovery settings are settings like any other: the command line wins over the files.
  const stopSettings = s.target && majorNumber(pg.major) >= 12 ? targetSettings(s.target, pg.major, !!s.standby) : [];
  const settings = settingsFor(majorNumber(pg.major), [
    ...sandboxSettings({ ...seen, restoreCommand, hbaFile: scratch.sandbox.hbaFile, identFile: scratch.sandbox.identFile }),
    ...(s.standby ?? [['hot_standby', 'off']]),
    ['fsync', 'off'],
    ['recovery_target_timeline', s.target?.timeline ?? 'latest'],
    ...stopSettings,
  ]);
  const common = { bin: pg.bin, scratch };
  if (!pg.engine) {
    // Beside the data folder, in the drill's folder (root's): the server writes into what we opened, and cannot reach the file.
    const logFile = join(paths.dir, 'postgresql.log');
    return new ScratchCluster({ ...common, logFile, logFrom: logFromEnd ? await sizeOf(logFile) : 0, settings });
  }
  const logFile = join(paths.dataDir, IMAGE_LOG_DIR, 'postgresql.log');
  return new ScratchCluster({
    ...common,
    logFile,
    logFrom: logFromEnd ? await sizeOf(logFile) : 0,
    settings: [...settings.map(([k, v]): [string, string] => (k === 'logging_collector' ? [k, 'on'] : [k, v])), ...IMAGE_LOG_SETTINGS],
    image: {
      engine: pg.engine,
      major: pg.major,
      name: `dingo-recover-drill-${basename(paths.dir)}`,
      readOnly: [{ source: paths.walDir, target: IMAGE_WAL_DIR }],
    },
  });
}

/** How much a log holds already (nothing there: none). */
async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => null))?.size ?? 0;
}

/** The image's server writes its log into one file of the data folder, which the drill reads as it replays. */
const IMAGE_LOG_SETTINGS: [string, string][] = [
  ['log_directory', IMAGE_LOG_DIR],
  ['log_filename', 'postgresql.log'],
  ['log_rotation_age', '0'],
  ['log_rotation_size', '0'],
];

/** A drill's containers an interrupted attempt left on its work folder, for the step run again to remove. */
export { removeContainersOn } from '../systems/pg-image.js';
