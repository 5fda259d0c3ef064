/**
 * The drill's throwaway container on the simulated cell (src/systems/cell-scratch.ts builds the
 * command lines): Docker 1.11's client and daemon as strict as the real ones, the server inside a
 * simulation that holds no rows (as every simulated server of the cell).
 *
 * - `docker run` (cell-drill-run.ts) takes only the flags Docker 1.11's client defines and prints the
 *   daemon's warning for a limit the kernel discards.
 * - `docker inspect --type image` answers an image some container of the cell runs; `docker ps -a
 *   --filter label=K --format …{{.Label "K"}}` lists the drill's containers.
 * - Once its data is in (its tar read in cell-drill-tar.ts), the server replays the WAL it was given
 *   for a few polls, then ends recovery with a checkpoint in the segment after the last one.
 * - The commands on the cell's store are cell-drill-store.ts's.
 */
import { formatLsn, nextSegment, parseSegment } from '../wale/segments.js';
import { withoutKeys } from './json-state.js';
import { type CellHooks, type CellInput, fail, majorOfImage, ok, type Out } from './cell-world.js';
import { DRILL_LABEL, type DrillState, imagesOf, type SimDrill } from './cell-drill-world.js';
import { run } from './cell-drill-run.js';

/** Where the container sees its scratch folder. */
const MOUNT = '/var/lib/dingo-recover';

/** The answer to a command of the drill on the cell, or undefined when it is not one. */
export function drillDocker(
  state: DrillState,
  command: string | undefined,
  a: string[],
  stdin: CellInput,
  hooks: CellHooks,
): Out | undefined {
  // Read only: a cell's state changes when a drill container is made (run), never when one is looked for.
  const drills = state.drills ?? {};
  const named = (i: number): SimDrill | undefined => (a[i] === undefined ? undefined : drills[a[i]]);
  switch (command) {
    case 'run':
      return run(state, a, stdin, hooks);
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

function inspectImage(state: DrillState, image: string): Out {
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
  if (filter !== `label=${DRILL_LABEL}` || !a.includes('-a'))
    return fail(1, `the simulated cell does not know: docker ps ${a.join(' ')}\n`);
  const line = (d: SimDrill): string =>
    format.replace(/\\t/g, '\t').replace('{{.Names}}', d.name).replace(`{{.Label "${DRILL_LABEL}"}}`, d.folder);
  return ok(
    Object.values(drills)
      .map((d) => `${line(d)}\n`)
      .join(''),
  );
}

function remove(state: DrillState, name: string): Out {
  if (!state.drills?.[name]) return fail(1, `Error response from daemon: No such container: ${name}\n`);
  state.drills = withoutKeys(state.drills, [name]);
  return ok(`${name}\n`);
}

/** Where replay of the drill's WAL ended: the start of the segment after `lastWal`, the last one replayed. */
function replayEnd(d: SimDrill, lastWal: string): bigint {
  const seg = nextSegment(parseSegment(lastWal), d.image ? majorOfImage(d.image) : null);
  return (BigInt(seg.log) << 32n) | BigInt(seg.seg * 0x1000000);
}

function exec(d: SimDrill, a: string[]): Out {
  if (!d.running) return fail(1, `Error response from daemon: Container ${d.name} is not running\n`);
  // `docker exec [-u USER] NAME [env NAME=VALUE...] CMD...`: env(1) takes every assignment before the command.
  let at = 3;
  if (a[at] === 'env') for (at++; /^[A-Za-z_][A-Za-z0-9_]*=/.test(a[at] ?? ''); at++);
  const cmd = a.slice(at);
  if (cmd[0] === 'pg_controldata') {
    if (d.pollsLeft > 0 || !d.lastWal) return ok('Database cluster state:               in archive recovery\n');
    // The end-of-recovery checkpoint, written after the first page header of the segment after the last one replayed.
    const redo = formatLsn(replayEnd(d, d.lastWal) + 0x28n);
    return ok(`Database cluster state:               in production\nLatest checkpoint's REDO location:    ${redo}\n`);
  }
  if (cmd[0] !== 'psql') return fail(126, `exec: "${cmd[0] ?? ''}": executable file not found in $PATH\n`);
  const sql = cmd[cmd.indexOf('-c') + 1] ?? '';
  if (sql.includes('pg_is_in_recovery')) {
    d.pollsLeft = Math.max(0, d.pollsLeft - 1);
    if (d.pollsLeft === 0) d.logs.push('LOG:  archive recovery complete', 'LOG:  database system is ready to accept connections');
    // The drill runs with hot_standby off: until recovery ends, the postmaster turns every client away
    // (9.5's postmaster.c canAcceptConnections: CAC_STARTUP in PM_RECOVERY, ProcessStartupPacket's FATAL),
    // and psql exits 2, a connection it could not make (psql/startup.c EXIT_BADCONN).
    return d.pollsLeft > 0 ? fail(2, 'psql: FATAL:  the database system is starting up\n') : ok('f\n');
  }
  // The end of the last record replayed: the switch that closes the last segment replayed (9.5's
  // xlogreader.c takes a switch record to end where its segment does).
  if (/pg_last_(xlog_replay_location|wal_replay_lsn)/.test(sql)) {
    return ok(`${d.lastWal ? formatLsn(replayEnd(d, d.lastWal)) : ''}\n`);
  }
  // What the restored system held (the scenario's, by its system identifier); else only PostgreSQL's own.
  const holds = d.holds ?? {};
  if (sql.includes('pg_database')) return ok(`${[...new Set(['postgres', ...Object.keys(holds)])].sort().join('\n')}\n`);
  if (sql.includes('pg_class')) {
    const db = holds[cmd[cmd.indexOf('-d') + 1] ?? ''];
    return ok(`${db?.tables ?? 0}|${db?.rows ?? 0}\n`);
  }
  return fail(1, `ERROR:  the simulated server does not answer: ${sql.slice(0, 60)}\n`);
}
