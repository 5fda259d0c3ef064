/**
 * `docker run` of the drill's containers on the simulated cell, as strict as Docker 1.11's client and
 * daemon.
 *
 * It takes only the flags Docker 1.11's client defines (runconfig/opts/parse.go and cli/flags of
 * v1.11.0; docs/reference/commandline/run.md of that release): `--network` (1.12), `--cpus` (1.13),
 * `--init` (1.13), `--mount` (17.06) and any other unknown flag are refused as its mflag package words
 * it, `flag provided but not defined: --x` and `See 'docker run --help'.`, exit 125. A kernel without
 * a cgroup the limit needs (`kernelLacks`) makes the daemon run the container without it and the
 * client print the daemon's warning (daemon/daemon_unix.go verifyPlatformContainerSettings: "Your
 * kernel does not support pids limit capabilities, pids limit discarded.", "… memory limit
 * capabilities. Limitation discarded.", "… CPU shares. Shares discarded."; api/client/create.go prints
 * each as `WARNING: …`).
 *
 * The tar streamed into `tar -x` is read as the real one would be (cell-drill-tar.ts), into the room
 * the store has left (cell-drill-store.ts); `postgres` on data whose PG_VERSION is not the image's
 * major exits as PostgreSQL does ("database files are incompatible with server").
 */
import { type CellHooks, type CellInput, fail, majorOfImage, type Out, serverVersionNum } from './cell-world.js';
import { DRILL_LABEL, type DrillState, imagesOf, type SimDrill } from './cell-drill-world.js';
import { storeFree } from './cell-drill-store.js';
import { extractTar, membersOf } from './cell-drill-tar.js';
import { compareSegments, formatSegment, segmentDistance, tryParseSegment } from '../wale/segments.js';

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
/** The Dingo image's postgres account (postgres:9.5's Dockerfile: groupadd -r postgres, useradd -r -g postgres). */
const POSTGRES_UID = 999;

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

export function run(state: DrillState, a: string[], stdin: CellInput, hooks: CellHooks): Out | undefined {
  const parsed = parseRun(a);
  if ('exitCode' in parsed) return parsed;
  const { flags, image, cmd } = parsed;
  const label = flags.get('--label')?.find((l) => l.startsWith(`${DRILL_LABEL}=`));
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
  const folder = label.slice(DRILL_LABEL.length + 1);
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
    const tar = extractTar(membersOf(stdin), room * 1024);
    (state.drillData ??= {})[folder] = { pgVersion: tar.pgVersion, wal: tar.wal, ...(tar.sysid && { sysid: tar.sysid }), kb: tar.kb };
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
    const lastWal = data ? lastReplayable(data.wal, major) : undefined;
    const d: SimDrill = {
      name,
      image,
      folder,
      running: true,
      logs: [],
      pollsLeft: 3,
      ...(lastWal ? { lastWal } : {}),
    };
    // What the restored system held, known by the system its WAL names.
    const holds = data?.sysid ? hooks.holdings?.(data.sysid) : undefined;
    if (holds) d.holds = holds;
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

function discarded(state: DrillState, flags: Map<string, string[]>): string[] {
  const lacks = state.kernelLacks ?? [];
  const out: string[] = [];
  if (lacks.includes('memory') && flags.has('--memory'))
    out.push('Your kernel does not support memory limit capabilities. Limitation discarded.');
  if (lacks.includes('cpu') && flags.has('--cpu-shares')) out.push('Your kernel does not support CPU shares. Shares discarded.');
  if (lacks.includes('pids') && flags.has('--pids-limit'))
    out.push('Your kernel does not support pids limit capabilities, pids limit discarded.');
  return out;
}

/**
 * The last segment recovery replays of those streamed in: PostgreSQL asks restore_command for each
 * segment after the backup's start in turn and ends recovery at the first it is not given (a hole,
 * or a segment the drill could not decompress and so never sent), whatever comes after it.
 */
function lastReplayable(wal: readonly string[], major: string): string | undefined {
  // In the order replay meets them; a timeline's switch keeps the position (timelines are followed as 'latest' does).
  const segments = wal.flatMap((name) => tryParseSegment(name) ?? []).sort(compareSegments);
  let last = segments[0];
  if (!last) return undefined;
  for (const s of segments.slice(1)) {
    if (segmentDistance(last, s, major) > 1) break;
    last = s;
  }
  return formatSegment(last);
}
