/**
 * A throwaway PostgreSQL on a COPY of a volume's data folder: the local server binaries of its
 * major version when installed, else the `postgres:<major>` image through the Docker Engine with the
 * copy bind-mounted. Only the copy is touched: its stale postmaster.pid and recovery signals are
 * moved aside inside the copy. It runs in a sandbox of its own with an account of its own
 * (systems/postgres/), which owns the copy while it runs; its clients run in that sandbox too, and log
 * in by peer as our roles alone. The copy's own settings that run commands or load libraries are
 * overridden on the command line, and every session forces search_path to pg_catalog
 * (systems/pg-sandbox.ts). Our superuser session only reads catalogs; the tables are read by `read`,
 * as a role that is no superuser in READ ONLY transactions, once the copy was made safe for it
 * (systems/pg-reader.ts).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { truncate } from '../core/screen-lines.js';
import { messageOf, StepFailed } from '../core/errors.js';
import type { DockerEngine } from '../core/seams.js';
import { pipeThrough, StageFailed } from '../systems/processes.js';
import { prepareReading, READER_ROLE } from '../systems/pg-reader.js';
import type { Query, QueryLines } from '../systems/pg-query.js';
import { localBinaries } from './identify.js';
import { newestLocalBin } from '../systems/pg-install.js';
import { IMAGE_DATA_DIR, IMAGE_SOCKET_DIR, requireImage } from '../systems/pg-image.js';
import {
  connArgs,
  openSandbox,
  openScratch,
  psqlLines,
  psqlRows,
  SANDBOX_SOCKET_DIR,
  SCRATCH_PORT,
  waitAccepting,
  type Endpoint,
  type Postmaster,
  type Scratch,
  type ServerRun,
} from '../systems/postgres/index.js';
import { clientEnv, postgresArgs, sandboxSettings, serverEnv, settingsFor, unprivilegedClientEnv } from '../systems/pg-sandbox.js';

export interface ScratchServer {
  /** How it runs: "local PostgreSQL 15 (/usr/lib/postgresql/15/bin)" or "container postgres:9.6". */
  how: string;
  /** The copy's bootstrap superuser, whom our catalog reads log in as. */
  superuser: string;
  /** Client binaries (psql, pg_dump) new enough for this server. */
  clientBin: string;
  /** Where its clients reach it: in its sandbox. */
  endpoint: Endpoint;
  /** Its postmaster's PID on this machine (0 in the image). */
  pid(): Promise<number>;
  /** Things done to the copy so it would start (moved-aside files) and be read safely (roles changed). */
  notes: string[];
  /** Our own catalog reads, as the copy's superuser: system catalogs and qualified system functions only. */
  query: Query;
  /** Reads of the tenant's tables, as the reader role (no superuser) in a READ ONLY transaction. */
  read: Query;
  /** The same reads, their output streamed line by line (a table of any size: `COPY (…) TO STDOUT`). */
  readLines: QueryLines;
  /** `pg_dump -Fc` of a database into `file` (ours, made already), with the pg_dump of `bin` (one of StartOptions.dumpBins) or clientBin's. */
  dump(database: string, file: string, bin?: string): Promise<void>;
  stop(): Promise<void>;
}

const ASIDE_SUFFIX = '.moved-aside-by-dingo-recover';

/** Moves aside, inside the copy, what would stop a server from starting on it or make it wait for a primary. */
async function prepareCopy(dataDir: string): Promise<string[]> {
  const notes: string[] = [];
  for (const name of ['postmaster.pid', 'standby.signal', 'recovery.signal', 'recovery.conf']) {
    try {
      await rename(join(dataDir, name), join(dataDir, name + ASIDE_SUFFIX));
      notes.push(`moved ${name} aside in the copy (as ${name}${ASIDE_SUFFIX})`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return notes;
}

/**
 * The locale a server's words say this machine lacks: a postgresql.conf lc_* value it refused at
 * start, or the LC_COLLATE / LC_CTYPE a database was made with, refused at connection. Null otherwise.
 */
function missingLocale(text: string): string | null {
  const setting = /invalid value for parameter "lc_\w+": "([^"]+)"/.exec(text);
  if (setting) return setting[1]!;
  if (!/database locale is incompatible with operating system/.test(text)) return null;
  return /initialized with LC_(?:COLLATE|CTYPE) "([^"]+)"/.exec(text)?.[1] ?? 'its locale';
}

/** A locale of the copy this machine lacks: the postgres:<major> image, which has it, can run the copy instead. */
class LocaleMissing extends StepFailed {}

/** What to do about a locale of the copy that this machine lacks. */
function localeMissing(locale: string, major: string, what: string): LocaleMissing {
  const [language, charset] = locale.split('.');
  const charmap = !charset || /^utf-?8$/i.test(charset) ? 'UTF-8' : charset;
  return new LocaleMissing(
    `the copy's cluster uses the locale ${locale}, which this machine lacks: PostgreSQL ${major} cannot ${what} without it`,
    {
      hint: `add the locale here (sudo localedef -i ${language ?? locale} -f ${charmap} ${locale}, or list it in /etc/locale.gen and run locale-gen), or give --docker-host so the postgres:${major} image, which has it, runs the copy; then resume. The original volume was not touched`,
    },
  );
}

/** Whether a server is left running on a copy, for whoever removes it (actions/support/restore-copy.ts). */
export { stopServersOn } from '../systems/postmaster.js';

/** What psql said of a database this machine cannot open (a locale it lacks) says which locale, and what to do. */
const wordedFor =
  (major: string, database: string) =>
  (said: string): Error => {
    const locale = missingLocale(said);
    return locale ? localeMissing(locale, major, `open the database ${database}`) : new Error(said);
  };

/**
 * Runs one statement with psql in the server's sandbox and gives its rows: as `user`, or with
 * `readOnly` as a role that is no superuser (`user`, the reader role) in READ ONLY transactions.
 */
export function querier(e: Endpoint, user: string, major = '', readOnly = false): Query {
  const env = readOnly ? unprivilegedClientEnv(undefined, true) : clientEnv();
  return (database, sql) => psqlRows(e, { user, database, sql, env, failed: wordedFor(major, database) });
}

/**
 * Runs one statement with psql in the server's sandbox as `readerRole` (no superuser) in READ ONLY
 * transactions and gives the lines it prints as they come, a batch per read.
 */
export function lineReader(e: Endpoint, major = '', readerRole = READER_ROLE): QueryLines {
  const env = unprivilegedClientEnv(undefined, true);
  return (database, sql) => psqlLines(e, { user: readerRole, database, sql, env, failed: wordedFor(major, database) });
}

/** The bootstrap superuser's name (POSTGRES_USER may have renamed it), asked of a single-user backend on the copy in its sandbox. */
async function superuserName(scratch: Scratch, bin: string, dataDir: string, settings: [string, string][]): Promise<string> {
  const single = settings.filter(([name]) => !['port', 'listen_addresses', 'unix_socket_directories'].includes(name));
  const r = await scratch.sandbox.run([join(bin, 'postgres'), '--single', '-D', dataDir, ...postgresArgs(single), '-j', 'template1'], {
    env: serverEnv(),
    stdin: 'set search_path = pg_catalog, pg_temp;\nselect rolname from pg_catalog.pg_authid where oid operator(pg_catalog.=) 10;\n',
  });
  return /rolname = "([^"]+)"/.exec(r.stdout)?.[1] ?? 'postgres';
}

export interface StartOptions {
  /** The copy's PostgreSQL data folder (PG_VERSION at its top). */
  dataDir: string;
  major: string;
  /** A scratch folder of ours for the socket folder and the log. */
  workDir: string;
  engine?: DockerEngine;
  /** Where server binaries of the volume's major are looked for (default /usr/lib/postgresql). */
  binRoot?: string;
  /** Where the client binaries (psql, pg_dump) are looked for (default /usr/lib/postgresql). */
  clientBinRoot?: string;
  /** Other client bin folders whose pg_dump may dump the copy (a client of its own major). */
  dumpBins?: string[];
  /** How long crash recovery on the copy may take. */
  startTimeoutSeconds?: number;
  progress?: (text: string) => void;
}

export async function startScratchServer(o: StartOptions): Promise<ScratchServer> {
  const notes = await prepareCopy(o.dataDir);
  const local = await localBinaries(o.major, o.binRoot);
  const client = await clientFor(o.major, o.clientBinRoot);
  if ('bin' in local) {
    try {
      return await startOn(o, { kind: 'local', bin: local.bin, logFile: join(o.workDir, 'server.log') }, client.bin, notes);
    } catch (err) {
      // The local server stopped already: the image, which has the locale, runs the copy instead.
      if (!(err instanceof LocaleMissing) || !o.engine) throw err;
      notes.push(
        `the local PostgreSQL ${o.major} could not open the copy (${err.message.replace(/^the copy's cluster /, 'it ')}), so the postgres:${o.major} image ran it`,
      );
    }
  } else if (!o.engine) {
    throw new StepFailed(`no PostgreSQL ${o.major} server here to look inside the copy`, {
      hint: `install ${local.missing.replace(/; or the postgres.*$/, ')')}, or give --docker-host so the postgres:${o.major} image runs it`,
    });
  }
  const engine = o.engine;
  const image = await requireImage(engine, o.major);
  o.progress?.(`starting ${image} on the copy`);
  const purpose = 'look inside a copy of a volume';
  return startOn(
    o,
    { kind: 'image', engine, major: o.major, name: `dingo-recover-look-${basename(o.workDir)}`, purpose },
    client.bin,
    notes,
  );
}

/** The newest local client binaries, refused when missing or older than the volume's major. */
async function clientFor(major: string, root: string | undefined): Promise<{ bin: string; major: number }> {
  const client = await newestLocalBin(root);
  if (!client) {
    throw new StepFailed('no PostgreSQL client binaries (psql, pg_dump) on this machine', {
      hint: 'install the newest PostgreSQL client and server packages (apt-get install postgresql-16, or any major at least as new as the volume)',
    });
  }
  if (client.major < Number(major)) {
    throw new StepFailed(`the newest local pg_dump is PostgreSQL ${client.major}, older than the volume's ${major}`, {
      hint: `install PostgreSQL ${major} or newer here (apt-get install postgresql-${major})`,
    });
  }
  return client;
}

/**
 * The settings the copy's server starts with: its socket in the sandbox's socket folder, our login
 * rules, no TCP, none of the copy's commands or libraries; in the image, the image's paths.
 */
function copySettings(o: StartOptions, scratch: Scratch, run: ServerRun): [string, string][] {
  const inImage = run.kind === 'image';
  return settingsFor(Number(o.major), [
    ...sandboxSettings({
      dataDir: inImage ? IMAGE_DATA_DIR : o.dataDir,
      socketDir: inImage ? IMAGE_SOCKET_DIR : SANDBOX_SOCKET_DIR,
      port: SCRATCH_PORT,
      hbaFile: scratch.sandbox.hbaFile,
      identFile: scratch.sandbox.identFile,
    }),
    ['max_connections', '20'],
  ]);
}

/** The server on the copy in its sandbox, once it accepts connections as the copy's bootstrap superuser. */
async function startOn(o: StartOptions, run: ServerRun, clientBin: string, notes: string[]): Promise<ScratchServer> {
  const socketDir = await mkdtemp(join(o.workDir, 'sock-'));
  const scratch = await openScratch({
    open: openSandbox,
    dataDir: o.dataDir,
    socketDir,
    bins: [...(run.kind === 'local' ? [run.bin] : []), clientBin, ...(o.dumpBins ?? [])],
    logins: ['postgres', READER_ROLE],
  });
  try {
    const settings = copySettings(o, scratch, run);
    const e = scratch.endpoint(clientBin);
    if (run.kind === 'local')
      o.progress?.(`starting PostgreSQL ${o.major} from ${run.bin} on the copy (crash recovery runs on the copy if needed)`);
    let server = await started(o, scratch, settings, run, e);
    let superuser = 'postgres';
    try {
      await querier(e, superuser, o.major)('template1', 'select 1');
    } catch (err) {
      if (run.kind !== 'local' || !/role "postgres" does not exist/.test((err as Error).message)) throw err;
      // POSTGRES_USER renamed the bootstrap superuser: ask the copy for its name, and start again.
      await server.stop();
      superuser = await superuserName(scratch, run.bin, o.dataDir, settings);
      await scratch.sandbox.permit(superuser);
      server = await started(o, scratch, settings, run, e);
    }
    const how = run.kind === 'local' ? `local PostgreSQL ${o.major} (${run.bin})` : server.how;
    return await readable(scratch, e, server, superuser, o.major, notes, how);
  } catch (err) {
    await scratch.close();
    throw err;
  }
}

/** Starts the server and waits until it accepts connections; one that stopped or came too late says why. */
async function started(o: StartOptions, scratch: Scratch, settings: [string, string][], run: ServerRun, e: Endpoint): Promise<Postmaster> {
  const server = await scratch.start(settings, run);
  const ready = await waitAccepting(server, e, (o.startTimeoutSeconds ?? 600) * 1000);
  if (ready === 'ready') return server;
  // Its last words, read before it goes with them; each line cut short (a token of the copy's settings is quoted whole).
  const said = (await server.lastWords(LAST_LOG_LINES).catch((err: unknown) => `(its log could not be read: ${messageOf(err)})`))
    .split('\n')
    .map((line) => truncate(line, LAST_LOG_LINE_WIDTH))
    .join('\n');
  await server.stop();
  const locale = missingLocale(said);
  if (locale) throw localeMissing(locale, o.major, 'start on it');
  if (run.kind === 'local') {
    const fatal = said.split('\n').filter((l) => /FATAL|PANIC/.test(l));
    throw new StepFailed(`PostgreSQL ${o.major} did not start on the copy${fatal.length ? `: ${fatal.slice(-3).join(' | ')}` : ''}`, {
      hint: `the server log is ${run.logFile}; the original volume was not touched`,
    });
  }
  throw new StepFailed(
    ready === 'exited'
      ? `postgres:${o.major} stopped on the copy before it accepted connections`
      : `postgres:${o.major} did not accept connections on the copy in time`,
    { hint: `the original volume was not touched; the container's last lines:\n${said.trim() || '(none)'}` },
  );
}

/** The server once the copy was made safe to read as the reader role. */
async function readable(
  scratch: Scratch,
  e: Endpoint,
  server: Postmaster,
  superuser: string,
  major: string,
  notes: string[],
  how: string,
): Promise<ScratchServer> {
  const query = querier(e, superuser, major);
  notes.push(...(await prepareReading(query, 'template1', Number(major))));
  return {
    how,
    superuser,
    clientBin: e.bin,
    endpoint: e,
    pid: () => server.pid(),
    notes,
    query,
    read: querier(e, READER_ROLE, major, true),
    readLines: lineReader(e, major),
    async dump(database, file, bin = e.bin) {
      const argv = [join(bin, 'pg_dump'), '-Fc', ...connArgs(e), '-U', superuser, '-d', database];
      await pipeThrough(Readable.from([]), [scratch.sandbox.stage(argv, { env: clientEnv() })], createWriteStream(file)).catch(
        (err: unknown) => {
          throw wordedFor(major, database)(err instanceof StageFailed ? err.stderr.trim() || err.message : messageOf(err));
        },
      );
    },
    stop: () => scratch.close(),
  };
}

/** How many of its last lines a container that did not serve the copy is shown by, and how much of each at most. */
const LAST_LOG_LINES = 20;
const LAST_LOG_LINE_WIDTH = 300;
