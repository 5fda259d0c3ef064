/**
 * The drill's throwaway container on the simulated cell (src/systems/cell-scratch.ts builds the
 * command lines): Docker 1.11's client and daemon as strict as the real ones, the server inside a
 * simulation that holds no rows (as every simulated server of the cell).
 *
 * - `docker run` takes only the flags Docker 1.11's client defines (runconfig/opts/parse.go and
 *   cli/flags of v1.11.0; docs/reference/commandline/run.md of that release): `--network` (1.12),
 *   `--cpus` (1.13), `--init` (1.13), `--mount` (17.06) and any other unknown flag are refused as its
 *   mflag package words it, `flag provided but not defined: --x` and `See 'docker run --help'.`, exit
 *   125. A kernel without a cgroup the limit needs (`kernelLacks`) makes the daemon run the container
 *   without it and the client print the daemon's warning (daemon/daemon_unix.go
 *   verifyPlatformContainerSettings: "Your kernel does not support pids limit capabilities, pids
 *   limit discarded.", "… memory limit capabilities. Limitation discarded.", "… CPU shares. Shares
 *   discarded."; api/client/create.go prints each as `WARNING: …`).
 * - `docker inspect --type image` answers an image some container of the cell runs; `docker ps -a
 *   --filter label=K --format …{{.Label "K"}}` lists the drill's containers.
 * - The tar streamed into `tar -x` is read as the real one would be: the data folder's PG_VERSION
 *   must be the image's major, or `postgres` exits as PostgreSQL does ("database files are
 *   incompatible with server"); the server replays the WAL it was given for a few polls, then ends
 *   recovery with a checkpoint in the segment after the last one.
 * - `df -Pk`, `mkdir -m`, `chown`, `find` of our folders and `rm -rf --one-file-system` on the cell's store.
 */
import { formatLsn, nextSegment, parseSegment } from '../wale/segments.js';
import { withoutKeys } from './json-state.js';
import { type CellWorld, fail, majorOfImage, ok, type Out, serverVersionNum } from './cell-world.js';

/** One container of the drill on the cell. */
interface SimDrill {
  name: string;
  image: string;
  /** Our label's value: the scratch folder. */
  folder: string;
  running: boolean;
  logs: string[];
  /** Polls of pg_is_in_recovery() left before recovery ends. */
  pollsLeft: number;
  /** The last WAL segment the data was given, when any. */
  lastWal?: string;
}

/** What a drill's state on a cell adds to the cell's. */
interface DrillWorld {
  drills?: Record<string, SimDrill>;
  /** The data streamed into each scratch folder: PG_VERSION, and the WAL segments given. */
  drillData?: Record<string, { pgVersion: string | null; wal: string[]; kb?: number }>;
  /** Free 1024-byte blocks on the cell's store before any drill (df -Pk); absent: 200 GiB. */
  storeFreeKb?: number;
  /**
   * 1024-byte blocks other tenants' databases write to the store once a drill's archive streams in
   * (after its free-space check passed): their growth, which can fill the disk half-way.
   */
  othersWriteKb?: number;
  /** What they wrote so far. */
  othersWroteKb?: number;
  /** Cgroups the cell's kernel lacks: the daemon discards the limits they carry. */
  kernelLacks?: ('pids' | 'memory' | 'cpu')[];
}

/** The flags Docker 1.11's `run` defines that take a value, and those that do not. */
const RUN_VALUE_FLAGS = new Set([
  '--name',
  '--label',
  '-l',
  '--net',
  '--cap-drop',
  '--cap-add',
  '--security-opt',
  '--tmpfs',
  '--memory',
  '-m',
  '--cpu-shares',
  '-c',
  '--pids-limit',
  '--user',
  '-u',
  '--entrypoint',
  '--log-driver',
  '--log-opt',
  '--volume',
  '-v',
  '--env',
  '-e',
  '--workdir',
  '-w',
  '--memory-swap',
  '--restart',
  '--hostname',
  '-h',
]);
const RUN_BOOL_FLAGS = new Set(['--rm', '-i', '--interactive', '-d', '--detach', '--read-only', '-t', '--tty', '--privileged']);
const LABEL = 'dingo-recover.cell-drill';
const MOUNT = '/var/lib/dingo-recover';
/** The name our scratch folders and containers start with. */
const DRILL_FOLDER = 'dingo-recover-drill-';
/** The Dingo image's postgres account (postgres:9.5's Dockerfile: groupadd -r postgres, useradd -r -g postgres). */
const POSTGRES_UID = 999;
/** The store's free blocks when the scenario gives none: 200 GiB. */
const STORE_FREE_KB = 200 * 1024 * 1024;

type State = CellWorld & DrillWorld;

/** The answer to a command of the drill on the cell, or undefined when it is not one. */
export function drillDocker(state: State, command: string | undefined, a: string[], stdin: Buffer): Out | undefined {
  // Read only: a cell's state changes when a drill container is made (run), never when one is looked for.
  const drills = state.drills ?? {};
  const named = (i: number): SimDrill | undefined => (a[i] === undefined ? undefined : drills[a[i]]);
  switch (command) {
    case 'run':
      return run(state, a, stdin);
    case 'inspect': {
      if (a[0] === '--type' && a[1] === 'image') return inspectImage(state, a[2] ?? '');
      const d = named(a[0] === '--type' && a[1] === 'container' ? 2 : 0);
      return d ? ok(JSON.stringify([inspectJson(d)], null, 4) + '\n') : undefined;
    }
    case 'ps':
      return a.includes('--filter') ? psFiltered(drills, a) : undefined;
    case 'rm':
      return a[0] === '-f' && a[1] === '-v' && a[2]?.startsWith('dingo-recover-drill-') ? remove(state, a[2]) : undefined;
    case 'exec': {
      const d = named(2);
      return d ? exec(d, a) : undefined;
    }
    case 'logs': {
      // postgres writes its log to stderr, which the json-file driver keeps as the container's stderr.
      const d = named(0);
      return d ? { exitCode: 0, stdout: '', stderr: d.logs.map((l) => `${l}\n`).join('') } : undefined;
    }
    default:
      return undefined;
  }
}

/** `df`, `mkdir -m`, `chown`, `rm -rf` on the cell's store, or undefined. */
export function drillFiles(state: State, argv: string[]): Out | undefined {
  const [program, ...a] = argv;
  if (program === 'df' && a[0] === '-Pk' && a.length === 2) {
    const size = (state.storeFreeKb ?? STORE_FREE_KB) * 2;
    const free = storeFree(state);
    // df's Capacity: used / (used + available), rounded up (coreutils df.c).
    const capacity = Math.ceil(((size - free) * 100) / size);
    return ok(
      `Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/sdc1      ${size} ${size - free} ${free}      ${capacity}% /var/vcap/store\n`,
    );
  }
  // find STORE -mindepth 1 -maxdepth 1 -type d -name 'dingo-recover-drill-*': the drill's folders in the store.
  if (program === 'find' && a.slice(1).join(' ') === `-mindepth 1 -maxdepth 1 -type d -name ${DRILL_FOLDER}*`) {
    // The store is the cell's persistent disk, always there; the world tracks only the folders it holds.
    const store = a[0] ?? '';
    return ok(
      (state.files[store] ?? [])
        .filter((e) => e.startsWith(DRILL_FOLDER) && `${store}/${e}` in state.files)
        .map((e) => `${store}/${e}\n`)
        .join(''),
    );
  }
  const folder = a[a.length - 1] ?? '';
  if (!folder.startsWith(`/var/vcap/store/${DRILL_FOLDER}`)) return undefined;
  const { parent, name } = { parent: folder.slice(0, folder.lastIndexOf('/')), name: folder.slice(folder.lastIndexOf('/') + 1) };
  if (program === 'mkdir' && a[0] === '-m' && a.length === 3) {
    if (folder in state.files) return fail(1, `mkdir: cannot create directory '${folder}': File exists\n`);
    state.files[folder] = [];
    (state.files[parent] ??= []).push(name);
    return ok();
  }
  if (program === 'chown' && a.length === 2)
    return folder in state.files ? ok() : fail(1, `chown: cannot access '${folder}': No such file or directory\n`);
  if (program === 'rm' && a.join(' ') === `-rf --one-file-system ${folder}`) {
    state.files = withoutKeys(state.files, [folder]);
    if (state.files[parent]) state.files[parent] = state.files[parent].filter((e) => e !== name);
    if (state.drillData) state.drillData = withoutKeys(state.drillData, [folder]);
    return ok();
  }
  return undefined;
}

interface RunArgs {
  flags: Map<string, string[]>;
  image: string;
  cmd: string[];
}

function parseRun(a: string[]): RunArgs | Out {
  const flags = new Map<string, string[]>();
  let i = 0;
  for (; i < a.length && a[i]!.startsWith('-'); i++) {
    const f = a[i]!;
    if (RUN_BOOL_FLAGS.has(f)) flags.set(f, []);
    else if (RUN_VALUE_FLAGS.has(f)) flags.set(f, [...(flags.get(f) ?? []), a[++i] ?? '']);
    else return fail(125, `flag provided but not defined: ${f}\nSee 'docker run --help'.\n`);
  }
  return { flags, image: a[i] ?? '', cmd: a.slice(i + 1) };
}

function run(state: State, a: string[], stdin: Buffer): Out | undefined {
  const parsed = parseRun(a);
  if ('exitCode' in parsed) return parsed;
  const { flags, image, cmd } = parsed;
  const label = flags.get('--label')?.find((l) => l.startsWith(`${LABEL}=`));
  if (!label) return undefined;
  if (!imagesOf(state).includes(image)) return fail(125, `Unable to find image '${image}' locally\n`);
  const warnings = discarded(state, flags)
    .map((w) => `WARNING: ${w}\n`)
    .join('');
  const entrypoint = flags.get('--entrypoint')?.[0];
  const major = majorOfImage(image);
  if (entrypoint === 'sh' && cmd[0] === '-c') {
    const v = serverVersionNum(image);
    const version =
      v >= 100_000 ? `${Math.floor(v / 10_000)}.${v % 10_000}` : `${Math.floor(v / 10_000)}.${Math.floor(v / 100) % 100}.${v % 100}`;
    return { exitCode: 0, stdout: `${POSTGRES_UID}\n${POSTGRES_UID}\npostgres (PostgreSQL) ${version}\n`, stderr: warnings };
  }
  const folder = label.slice(LABEL.length + 1);
  const name = flags.get('--name')?.[0] ?? '';
  const drills = (state.drills ??= {});
  if (drills[name]) return fail(125, `docker: Error response from daemon: Conflict. The name "/${name}" is already in use.\n`);
  // A -v bind whose source is missing is made, root's, 0755 (v1.11.0 volume/volume.go MountPoint.Setup:
  // system.MkdirAll(m.Source, 0755)); only --mount, from 17.06, refuses it.
  if (!(folder in state.files)) state.files[folder] = [];
  if (entrypoint === 'tar') {
    drills[name] = { name, image, folder, running: false, logs: [], pollsLeft: 0 };
    // Other tenants write while the archive streams in; what does not fit is refused by the kernel.
    state.othersWroteKb = (state.othersWroteKb ?? 0) + (state.othersWriteKb ?? 0);
    state.othersWriteKb = 0;
    const room = storeFree(state);
    const tar = readTar(stdin, room * 1024);
    (state.drillData ??= {})[folder] = { pgVersion: tar.pgVersion, wal: tar.wal, kb: tar.kb };
    // GNU tar (src/extract.c extract_file, paxutils write_error_details) names the member it could
    // not write in full, and each one after; it exits 2, which `docker run` (attached) exits with.
    if (tar.full)
      return fail(
        2,
        `${warnings}tar: ${tar.full}: Wrote only ${tar.wrote} of ${tar.size} bytes\n${tar.after.map((m) => `tar: ${m}: Cannot open: No space left on device\n`).join('')}tar: Exiting with failure status due to previous errors\n`,
      );
    return { exitCode: 0, stdout: '', stderr: warnings };
  }
  if (entrypoint === 'postgres') {
    const data = state.drillData?.[folder];
    const d: SimDrill = {
      name,
      image,
      folder,
      running: true,
      logs: [],
      pollsLeft: 3,
      ...(data?.wal.length ? { lastWal: data.wal.at(-1)! } : {}),
    };
    if (data?.pgVersion !== major) {
      d.running = false;
      d.logs.push(
        `FATAL:  database files are incompatible with server`,
        `DETAIL:  The data directory was initialized by PostgreSQL version ${data?.pgVersion ?? '(none)'}, which is not compatible with this version ${major}.`,
      );
    } else d.logs.push('LOG:  starting archive recovery');
    drills[name] = d;
    return { exitCode: 0, stdout: `${'f'.repeat(64)}\n`, stderr: warnings };
  }
  return fail(127, `docker: Error response from daemon: Container command '${entrypoint ?? ''}' not found or does not exist..\n`);
}

function discarded(state: State, flags: Map<string, string[]>): string[] {
  const lacks = state.kernelLacks ?? [];
  const out: string[] = [];
  if (lacks.includes('memory') && flags.has('--memory'))
    out.push('Your kernel does not support memory limit capabilities. Limitation discarded.');
  if (lacks.includes('cpu') && flags.has('--cpu-shares')) out.push('Your kernel does not support CPU shares. Shares discarded.');
  if (lacks.includes('pids') && flags.has('--pids-limit'))
    out.push('Your kernel does not support pids limit capabilities, pids limit discarded.');
  return out;
}

function imagesOf(state: State): string[] {
  return [...new Set(Object.values(state.containers).map((c) => c.image))];
}

function inspectImage(state: State, image: string): Out {
  if (!imagesOf(state).includes(image)) return fail(1, `[]\nError: No such image: ${image}\n`);
  return ok(JSON.stringify([{ Id: `sha256:${'a'.repeat(64)}`, RepoTags: [image] }], null, 4) + '\n');
}

function inspectJson(d: SimDrill): object {
  return {
    Id: `${'d'.repeat(52)}${d.name.slice(-12).padStart(12, '0')}`,
    Name: `/${d.name}`,
    State: { Status: d.running ? 'running' : 'exited', Running: d.running, ExitCode: d.running ? 0 : 1 },
    Config: { Image: d.image, Env: ['PATH=/usr/lib/postgresql/9.5/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    Mounts: [{ Source: d.folder, Destination: MOUNT, Mode: '', RW: true }],
  };
}

function psFiltered(drills: Record<string, SimDrill>, a: string[]): Out {
  const filter = a[a.indexOf('--filter') + 1] ?? '';
  const format = a[a.indexOf('--format') + 1] ?? '';
  if (filter !== `label=${LABEL}` || !a.includes('-a')) return fail(1, `the simulated cell does not know: docker ps ${a.join(' ')}\n`);
  const line = (d: SimDrill): string =>
    format.replace(/\\t/g, '\t').replace('{{.Names}}', d.name).replace(`{{.Label "${LABEL}"}}`, d.folder);
  return ok(
    Object.values(drills)
      .map((d) => `${line(d)}\n`)
      .join(''),
  );
}

function remove(state: State, name: string): Out {
  if (!state.drills?.[name]) return fail(1, `Error response from daemon: No such container: ${name}\n`);
  state.drills = withoutKeys(state.drills, [name]);
  return ok(`${name}\n`);
}

function exec(d: SimDrill, a: string[]): Out {
  if (!d.running) return fail(1, `Error response from daemon: Container ${d.name} is not running\n`);
  const cmd = a.slice(a[3] === 'env' ? 5 : 3);
  if (cmd[0] === 'pg_controldata') {
    if (d.pollsLeft > 0 || !d.lastWal) return ok('Database cluster state:               in archive recovery\n');
    // The end-of-recovery checkpoint, written at the start of the segment after the last one replayed.
    const seg = nextSegment(parseSegment(d.lastWal), d.image ? majorOfImage(d.image) : null);
    const redo = formatLsn((BigInt(seg.log) << 32n) | BigInt(seg.seg * 0x1000000 + 0x28));
    return ok(`Database cluster state:               in production\nLatest checkpoint's REDO location:    ${redo}\n`);
  }
  if (cmd[0] !== 'psql') return fail(126, `exec: "${cmd[0] ?? ''}": executable file not found in $PATH\n`);
  const sql = cmd[cmd.indexOf('-c') + 1] ?? '';
  if (sql.includes('pg_is_in_recovery')) {
    d.pollsLeft = Math.max(0, d.pollsLeft - 1);
    if (d.pollsLeft === 0) d.logs.push('LOG:  archive recovery complete', 'LOG:  database system is ready to accept connections');
    return ok(d.pollsLeft > 0 ? 't\n' : 'f\n');
  }
  // The simulation's server holds no database of the tenant's and no rows.
  if (sql.includes('pg_database')) return ok('postgres\n');
  if (sql.includes('pg_class')) return ok('0|0\n');
  return fail(1, `ERROR:  the simulated server does not answer: ${sql.slice(0, 60)}\n`);
}

/** Free 1024-byte blocks on the store: what it had, less what other tenants and the drills' folders wrote. */
function storeFree(state: State): number {
  const ours = Object.values(state.drillData ?? {}).reduce((n, d) => n + (d.kb ?? 0), 0);
  return Math.max(0, (state.storeFreeKb ?? STORE_FREE_KB) - (state.othersWroteKb ?? 0) - ours);
}

interface TarRead {
  pgVersion: string | null;
  wal: string[];
  /** 1024-byte blocks written. */
  kb: number;
  /** The member that did not fit in `room`, how much of it was written, and the members after it. */
  full?: string;
  wrote?: number;
  size?: number;
  after: string[];
}

/** The entries of a ustar stream as `tar -x` writes them into `room` bytes: data/PG_VERSION's text and the WAL segments under wal/. */
function readTar(buf: Buffer, room = Infinity): TarRead {
  let pgVersion: string | null = null;
  const wal: string[] = [];
  let written = 0;
  const out: TarRead = { pgVersion, wal, kb: 0, after: [] };
  for (let at = 0; at + 512 <= buf.length;) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number): string =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = [field(345, 155), field(0, 100)].filter(Boolean).join('/');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const body = buf.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (out.full !== undefined) {
      out.after.push(name);
      continue;
    }
    if (written + size > room) {
      // The kernel refuses the rest: a block at a time, as much of the member as fits.
      out.full = name;
      out.wrote = Math.max(0, Math.floor((room - written) / 512) * 512);
      out.size = size;
      written += out.wrote;
      continue;
    }
    written += size;
    if (/^data\/PG_VERSION$/.test(name)) pgVersion = body.toString('utf8').trim();
    const segment = /^wal\/([0-9A-F]{24})$/.exec(name)?.[1];
    if (segment) wal.push(segment);
  }
  wal.sort();
  return { ...out, pgVersion, wal, kb: Math.ceil(written / 1024) };
}
