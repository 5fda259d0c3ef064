/**
 * `dingo-recover volumes find` and `dingo-recover volumes look <volume>`: lost PostgreSQL data in
 * Docker volumes, found by reading files only, then looked at (and dumped) on a copy.
 */
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { commandLine } from '../core/command-line.js';
import { UsageError } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import { oneLine } from '../core/display.js';
import { dockerEngine } from '../systems/docker-engine.js';
import type { DockerEngine } from '../core/seams.js';
import { askedEngine, DEFAULT_DOCKER_HOST, dockerHostOf } from '../volumes/docker-host.js';
import {
  deniedWarning,
  findVolumes,
  listWarnings,
  nothingReadable,
  RUN_AS_ROOT,
  volumeArg,
  type FindResult,
  type VolumeReport,
} from '../volumes/find.js';
import { describeUserData } from '../volumes/user-data.js';
import { AS_THE_COPY_SAYS, dumpDatabases, foreignTablesLine, lookInside, verifyDumps, type LookResult } from '../volumes/look.js';
import { checkOriginalUnchanged, chooseVolume, copyVolume } from '../volumes/session.js';
import { failCommand } from './print-error.js';
import { LOCAL_ENGINE_FLAG } from './flags/engine.js';
import { setExitCode } from './exit-code.js';
import { writeErr, writeJson, writeOut } from './terminal-out.js';
import { invocation } from '../core/invocation.js';

interface SourceArgs {
  'volumes-root'?: string;
  'docker-host'?: string;
  json: boolean;
}

function sourceOptions<T>(y: Argv<T>): Argv<T & SourceArgs> {
  return y
    .option('volumes-root', {
      type: 'string',
      describe: 'read this folder of volumes (a copy, or a host without the daemon) instead of the Engine',
    })
    .option('docker-host', {
      ...LOCAL_ENGINE_FLAG,
      describe: `${LOCAL_ENGINE_FLAG.describe} (default: DOCKER_HOST, else ${DEFAULT_DOCKER_HOST})`,
    })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' });
}

async function find(argv: SourceArgs): Promise<FindResult> {
  if (argv['volumes-root']) {
    return findVolumes({ volumesRoot: resolve(argv['volumes-root']) });
  }
  return findVolumes({ engine: engineOf(argv) });
}

/** The Engine the flags or the environment name, saying which and why. */
function engineOf(argv: SourceArgs): DockerEngine {
  const choice = dockerHostOf(argv['docker-host'], invocation().env);
  return askedEngine(dockerEngine(choice.host), choice);
}

/**
 * A volume's time for what it is: only a birth time is when it was made; the local driver's
 * CreatedAt is its folder's ctime, which every file made or removed in it moves.
 */
function timeOf(v: VolumeReport): string {
  const at = v.createdAt ?? 'unknown';
  if (v.createdAtIs === 'birth') return `created ${at}`;
  if (v.createdAtIs === 'driver') return `created ${at} (as its driver says)`;
  return `folder changed ${at} (its ctime, not when it was made)`;
}

function candidateLines(v: VolumeReport, all: VolumeReport[]): string[] {
  const pg = v.postgres!;
  const c = pg.control;
  const compose = [v.compose.project && `project ${v.compose.project}`, v.compose.volume && `volume ${v.compose.volume}`]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `${v.rank}. ${v.name}${compose ? `  (compose ${compose})` : ''}`,
    `   PostgreSQL ${pg.major}${pg.subdir ? ` in ${pg.subdir}/` : ''}, ${formatBytes(pg.sizeBytes)}, ${timeOf(v)}`,
    `   ${describeUserData(pg.userData)}`,
    ...(pg.versionProblem ? [`   WARNING: ${pg.versionProblem}`] : []),
    ...(pg.walProblem ? [`   WARNING: ${pg.walProblem}`] : []),
  ];
  if (c) {
    lines.push(
      `   last checkpoint ${c.checkpointAt} at ${c.checkpointLocation}, state "${c.state}"${c.cleanShutdown ? ' (shut down cleanly)' : ' (NOT shut down cleanly: the copy will run crash recovery)'}`,
      `   system identifier ${c.systemIdentifier}${c.crcOk ? '' : ', pg_control CRC MISMATCH'}`,
    );
  } else lines.push(`   pg_control unreadable: ${pg.controlError ?? 'unknown'}`);
  const twins = all.filter((o) => o !== v && c && o.postgres?.control?.systemIdentifier === c.systemIdentifier);
  if (twins.length)
    lines.push(
      `   same system identifier as ${twins.map((o) => oneLine(o.name)).join(', ')}: copies of one cluster (initdb gives each cluster its own)`,
    );
  for (const other of pg.otherDataFolders ?? []) lines.push(`   also a data folder in ${other}`);
  if (pg.lastWalWriteAt) lines.push(`   newest WAL written ${pg.lastWalWriteAt}`);
  if (pg.postmasterPid) lines.push('   postmaster.pid present: its server was running when the volume was left');
  if (v.usedBy.length) lines.push(`   used by ${v.usedBy.map((u) => `${u.name} (${u.state})`).join(', ')}`);
  else if (v.anonymous) lines.push('   anonymous, no container uses it: left by a `docker rm` or `compose down`');
  if ('missing' in pg.binaries) lines.push(`   to look inside, install ${pg.binaries.missing}`);
  lines.push(`   ${v.path}`);
  return lines;
}

/** The flags that say where the volumes were read, for the next command to read them there too. */
export function sourceFlags(argv: Pick<SourceArgs, 'volumes-root' | 'docker-host'>): string[] {
  if (argv['volumes-root']) return ['--volumes-root', resolve(argv['volumes-root'])];
  const given = argv['docker-host'];
  return given === undefined || given === DEFAULT_DOCKER_HOST ? [] : ['--docker-host', given];
}

/** What `volumes find` found; `source` are the flags it was given for where to read, which its next command carries. */
export function renderFind(r: FindResult, source: string[] = []): string {
  const lines = [`${r.volumes.length} volume(s) in ${r.source}, read in ${(r.durationMs / 1000).toFixed(1)} s`];
  for (const w of listWarnings(r)) lines.push(`WARNING: ${w}`);
  lines.push('');
  const denied = deniedWarning(r);
  if (r.candidates.length === 0)
    lines.push(denied ? 'No PostgreSQL data folder found among the volumes that could be read.' : 'No PostgreSQL data folder found.');
  else lines.push('PostgreSQL data folders, those holding user tables first, then the newest checkpoint:', '');
  for (const c of r.candidates) lines.push(...candidateLines(c, r.candidates), '');
  if (r.passedOver.length) lines.push(`Passed over: ${r.passedOver.map((p) => `${p.count} ${p.kind}`).join(', ')}`);
  for (const v of r.volumes.filter((x) => x.kind !== 'postgresql')) lines.push(`  ${v.name.slice(0, 24)}  ${v.kind}: ${v.detail}`);
  if (denied) lines.push('', `WARNING: ${denied}`);
  if (r.candidates[0])
    lines.push(
      '',
      `Next: ${commandLine(['volumes', 'look', volumeArg(r.candidates[0].name), ...source])}`,
      '(works on a copy; the volume is never opened for writing)',
    );
  return screenLines(lines);
}

/**
 * Lines for the screen, each kept one line: names and texts in them are the tenant's (volume and
 * folder names, labels, a copy's databases, schemas and tables), and a newline in one must not start
 * a line that reads as the tool's own.
 */
function screenLines(lines: string[]): string {
  return lines.map(oneLine).join('\n') + '\n';
}

export function renderLook(l: LookResult): string {
  const lines = [`Looked inside with ${l.server}`, `  (${AS_THE_COPY_SAYS})`];
  for (const n of l.notes) lines.push(`  (${n})`);
  for (const d of l.databases) {
    lines.push(
      '',
      `database ${d.name}: ${formatBytes(d.bytes)}, schemas ${d.schemas.join(', ') || '-'}, newest timestamp ${d.newest ?? 'none found'}`,
    );
    for (const t of d.largestTables)
      lines.push(
        `  ${`${t.schema}.${t.table}`.padEnd(40)} ${formatBytes(t.bytes).padStart(10)}  ${t.rowsExact ? '' : '~'}${t.rows < 0 ? 'not analysed' : t.rows} rows${t.newest ? `  newest ${t.newest}` : ''}${t.note ? `  (${t.note})` : ''}`,
      );
    const foreign = foreignTablesLine(d);
    if (foreign) lines.push(`  ${foreign}`);
  }
  return screenLines(lines);
}

const findCommand: CommandModule<object, SourceArgs> = {
  command: 'find',
  describe: 'List Docker volumes and rank the PostgreSQL data folders in them, reading files only',
  builder: (y) =>
    sourceOptions(y)
      .example('$0 volumes find', "ask this host's Docker Engine")
      .example('$0 volumes find --volumes-root /var/lib/docker/volumes --json', 'read the volumes folder directly'),
  handler: async (argv) => {
    try {
      const r = await find(argv);
      if (argv.json) writeJson(r);
      else writeOut(renderFind(r, sourceFlags(argv)));
      if (r.denied && !r.candidates.length) throw new UsageError(nothingReadable(r), { hint: RUN_AS_ROOT });
    } catch (err) {
      failCommand('volumes find', err);
    }
  },
};

interface LookArgs extends SourceArgs {
  volume: string;
  scratch?: string;
  dump?: string[];
  out?: string;
}

/** Copies the volume into `scratch`, looks inside the copy, dumps what was asked and checks the original did not change. */
async function lookAt(v: VolumeReport, scratch: string, argv: LookArgs) {
  const copy = await copyVolume(v, scratch, new Date());
  for (const [rel, why] of Object.entries(copy.digest.skipped))
    invocation().stderr.write(`... did not copy ${JSON.stringify(rel)}: ${why}\n`);
  const engine = argv['volumes-root'] ? undefined : engineOf(argv);
  const opts = { dataDir: copy.copyDir, major: v.postgres!.major, workDir: join(copy.copyDir, '..'), engine };
  const look = await lookInside({
    ...opts,
    progress: (m) => {
      writeErr(`... ${m}\n`);
    },
  });
  let dumps = null;
  let checks = null;
  if (argv.dump?.length) {
    dumps = await dumpDatabases({ ...opts, databases: argv.dump, outDir: resolve(argv.out!) });
    checks = await verifyDumps(dumps, { work: { in: tmpdir() } });
  }
  await checkOriginalUnchanged(copy.original, copy.digest.digest, copy.volume);
  return { copy, look, dumps, checks };
}

const lookCommand: CommandModule<object, LookArgs> = {
  command: 'look <volume>',
  describe: 'Copy a volume, start a throwaway PostgreSQL on the copy and show what it holds (optionally dump databases)',
  builder: (y) =>
    sourceOptions(y)
      .positional('volume', { type: 'string', demandOption: true, describe: 'volume name (or its first 6+ characters)' })
      .option('scratch', { type: 'string', describe: 'folder for the copy (default: a new folder in the temp folder)' })
      .option('dump', { type: 'string', array: true, describe: 'pg_dump -Fc these databases and check each restores' })
      .option('out', { type: 'string', describe: 'folder for the dumps (required with --dump)' })
      .example('$0 volumes look 1e1b183240fc', 'look inside the copy of that volume')
      .example('$0 volumes look 1e1b183240fc --dump shop --out ~/recovered', 'and dump the shop database'),
  handler: async (argv) => {
    try {
      if (argv.dump?.length && !argv.out)
        throw new UsageError('--dump needs --out FOLDER for the dump files', { hint: 'e.g. --out ~/recovered' });
      const found = await find(argv);
      const v = chooseVolume(found, argv.volume);
      const scratch = resolve(argv.scratch ?? (await mkdtemp(join(tmpdir(), 'dingo-volume-'))));
      await mkdir(scratch, { recursive: true });
      const { copy, look, dumps, checks } = await lookAt(v, scratch, argv).catch((err: unknown) => {
        // A copy is never deleted for the operator: they may want to look at it themselves.
        writeErr(`what this look copied is kept in ${scratch} (the original was only read): remove it when you are done\n`);
        throw err;
      });
      if (argv.json) {
        writeJson({ volume: v, copy: { dir: copy.copyDir, digest: copy.digest.digest }, look, dumps, checks, originalUnchanged: true });
      } else {
        writeOut(renderLook(look));
        for (const c of checks ?? [])
          writeOut(
            screenLines([
              `dump ${c.file}: ${c.restored && c.differences.length === 0 ? `restores, ${c.tables} table(s) with the same row counts` : `DOES NOT RESTORE CLEANLY: ${c.differences.join('; ')}`}`,
            ]),
          );
        writeOut(
          screenLines([
            `the original ${copy.original} is unchanged (sha256 tree digest ${copy.digest.digest.slice(0, 16)}…); the copy is in ${copy.copyDir}`,
          ]),
        );
      }
      if (checks?.some((c) => !c.restored || c.differences.length)) setExitCode(1);
    } catch (err) {
      failCommand('volumes look', err);
    }
  },
};

export const volumesCommand = {
  command: 'volumes <command>',
  describe: 'Find lost PostgreSQL data in Docker volumes, look inside a copy, dump it',
  builder: (y: Argv) =>
    y
      .command(findCommand as unknown as CommandModule)
      .command(lookCommand as unknown as CommandModule)
      .demandCommand(1),
  handler: () => undefined,
};
