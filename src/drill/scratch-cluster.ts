/**
 * The throwaway PostgreSQL a drill recovers into: the one scratch-server life of systems/postgres/ (a
 * sandbox with an account of its own around the restored data, its clients inside it too), the
 * sandbox's settings on its command line and an environment of its own (systems/pg-sandbox.ts); local
 * server binaries, or the `postgres:<major>` image (systems/pg-image.ts) when none fit the archive;
 * watched until archive recovery has ended (or the server died, or the drill was stopped). Once it
 * has, the copy is made safe to read and the tables are read as a role that is no superuser
 * (systems/pg-reader.ts).
 */
import { DrillFailed } from './exit-codes.js';
import type { DockerEngine, ScratchSandbox } from '../core/seams.js';
import { parseRecoveryLog, serverLog } from './recovery-log.js';
import { clientEnv, unprivilegedClientEnv } from '../systems/pg-sandbox.js';
import { accepts, psqlLines, psqlRows, type Endpoint, type Postmaster, type Scratch, type ServerRun } from '../systems/postgres/index.js';
import { prepareReading, READER_ROLE } from '../systems/pg-reader.js';

/** The server in the `postgres:<major>` image: its settings carry the container's paths. */
interface ClusterImage {
  engine: DockerEngine;
  major: string;
  /** The container's name (a restart reuses it: the earlier container is removed first). */
  name: string;
  /** Host folders the server reads, mounted read-only (the WAL the drill fetched). */
  readOnly: { source: string; target: string }[];
}

export interface ClusterOptions {
  /** The drill's scratch-server life: its sandbox, account and socket folder. */
  scratch: Scratch;
  /** The server binaries (postgres), and psql and pg_isready; in the image, only the local client binaries. */
  bin: string;
  /** Run the server in this image instead of the local binaries. */
  image?: ClusterImage;
  logFile: string;
  /** Where in the log this server's lines start (bytes): a copy moved to another target reads only what it wrote since. */
  logFrom?: number;
  /** Settings given on the server's command line (they win over every configuration file). */
  settings: [string, string][];
}

export interface QueryResult {
  rows: string[][];
}

/**
 * What PostgreSQL says when the WAL raises a setting (max_connections & co.) above what a hot standby
 * started with: 14+ pause replay there, earlier majors stop (FATAL).
 */
export const STANDBY_REFUSED = /hot standby is not possible because[^\n]*/;

/** What a server says to a connection while it starts, stops or cannot take connections yet. */
const NOT_ACCEPTING =
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections|not accepting connections)/;

/** What a recovery control function says once recovery has ended: asked again, the server answers that it ended. */
const RECOVERY_ENDED = /recovery is not in progress/;

/**
 * What psql says of a session the server ended: a server stopping (before 14, a hot standby whose WAL
 * raised a setting stops with a FATAL) drops its sessions while its postmaster still lives.
 */
const CONNECTION_LOST = /server closed the connection unexpectedly|terminating connection/;

/**
 * What psql says when the server's socket is gone or refuses: a stopping postmaster removes its socket
 * before it exits, so a poll between the two finds no socket while the server still lives (libpq 14+:
 * `connection to server on socket "…" failed: No such file or directory`; before: `could not connect to server`).
 */
const SOCKET_GONE = /(connection to server on socket|could not connect to server)[\s\S]*?(No such file or directory|Connection refused)/;

/** Sessions lost in a row past which the failure is the query's own: a server that drops every session, or keeps no socket, and lives on. */
const MAX_LOST = 50;

/** How long a server may take to read its login rules again once told to. */
const RELOAD_GRACE_MS = 10_000;

/** How long a just-started postmaster may take to write postmaster.pid. */
const PID_FILE_GRACE_MS = 5000;

export class ScratchCluster {
  private server: Postmaster | null = null;
  /** How the image's server ran, kept after its container is removed. */
  private ranIn: string | null = null;

  constructor(private readonly o: ClusterOptions) {}

  /** Where psql and pg_isready reach the server: in its sandbox. */
  private get endpoint(): Endpoint {
    return this.o.scratch.endpoint(this.o.bin);
  }

  /** The sandbox the server and its clients run in, for other programs of the drill on the copy (pg_waldump). */
  get sandbox(): ScratchSandbox {
    return this.o.scratch.sandbox;
  }

  /** How the server runs: "local PostgreSQL (/usr/lib/postgresql/15/bin)" or "container postgres:15 (abc123def456)". */
  get how(): string {
    return this.ranIn ?? (this.o.image ? `container postgres:${this.o.image.major} (not started)` : `local PostgreSQL (${this.o.bin})`);
  }

  get logFile(): string {
    return this.o.logFile;
  }

  private get run(): ServerRun {
    const image = this.o.image;
    return image
      ? {
          kind: 'image',
          engine: image.engine,
          major: image.major,
          name: image.name,
          purpose: 'restore drill of a wal-e archive',
          readOnly: image.readOnly,
        }
      : { kind: 'local', bin: this.o.bin, logFile: this.o.logFile };
  }

  async start(): Promise<void> {
    // A server started again appends to the same log: only what this start wrote tells whether it died.
    const logBefore = (await this.log()).length;
    // Recovery can take long and is watched by waitRecovered(): start returns at once.
    const server = await this.o.scratch.start(this.o.settings, this.run);
    this.server = server;
    if (this.o.image) this.ranIn = server.how;
    // Wait for postmaster.pid, so that from here on its status is read.
    const until = performance.now() + PID_FILE_GRACE_MS;
    while (!(await server.pidFile())) {
      const log = parseRecoveryLog((await this.log()).slice(logBefore));
      if (performance.now() > until || log.fatal.length > 0 || !(await server.alive())) {
        throw new DrillFailed(
          'not-restorable',
          `PostgreSQL did not start on the restored data${log.fatal.length ? `: ${log.fatal.slice(-3).join(' | ')}` : ''}`,
          {
            hint: this.logHint(),
          },
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The same server started again with some command-line settings changed (this one must be stopped). */
  withSettings(changed: [string, string][]): ScratchCluster {
    const names = new Set(changed.map(([name]) => name));
    return new ScratchCluster({ ...this.o, settings: [...this.o.settings.filter(([name]) => !names.has(name)), ...changed] });
  }

  /** What this server wrote to its log (recovery-log.ts's reading: never through a link, never waiting on a FIFO). */
  async log(): Promise<string> {
    return serverLog(this.o.logFile, this.o.logFrom);
  }

  private logHint(): string {
    return `See the server log ${this.o.logFile} (kept with --keep).`;
  }

  /** True while the server runs (its process, or in the image its container). */
  async alive(): Promise<boolean> {
    return (await this.server?.alive()) ?? false;
  }

  /**
   * Whether the server accepts connections. The status in postmaster.pid (PostgreSQL 10 on) avoids a
   * connection attempt, and a log line, per poll.
   */
  async accepting(): Promise<boolean> {
    const pf = await this.server?.pidFile();
    if (pf?.status) return pf.status === 'ready';
    return accepts(this.endpoint, clientEnv());
  }

  /**
   * Wait until archive recovery has ended and the server accepts queries (or `signal` stops the drill).
   * `ended`, when it can tell (not null), says whether recovery ended from the server's files (its
   * control file): then no statement is run to ask the server, whose answer code of the archive's
   * could give, before the caller has read what it needs of those files.
   */
  async waitRecovered(opts: {
    user: string;
    database: string;
    signal?: AbortSignal;
    ended?: () => Promise<boolean | null>;
  }): Promise<void> {
    await this.watchRecovery(opts, null, 250);
  }

  /**
   * Wait until replay pauses at the recovery target, the server a hot standby accepting read-only
   * queries ('paused'), or recovery ended without pausing ('ended': no target met, e.g. the archive
   * ran out first before PostgreSQL 13). `major` names the functions (xlog before 10; the pause's
   * state from 14 on, where a pause asked for is not yet one). Stepping through time, the operator
   * waits on this: it is polled more often than a whole recovery is.
   */
  async waitPaused(opts: { user: string; database: string; signal?: AbortSignal }, major: number): Promise<'paused' | 'ended'> {
    const paused =
      major >= 14
        ? "pg_catalog.pg_get_wal_replay_pause_state() operator(pg_catalog.=) 'paused'"
        : major >= 10
          ? 'pg_catalog.pg_is_wal_replay_paused()'
          : 'pg_catalog.pg_is_xlog_replay_paused()';
    return this.watchRecovery(opts, paused, 100);
  }

  /** Polls the server until recovery ended or, given the expression `paused` tells it, replay paused at its target. */
  private async watchRecovery(
    opts: { user: string; database: string; signal?: AbortSignal; ended?: () => Promise<boolean | null> },
    paused: string | null,
    everyMs: number,
  ): Promise<'paused' | 'ended'> {
    let lost = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      if (!(await this.alive())) {
        const log = parseRecoveryLog(await this.log());
        throw new DrillFailed(
          'not-restorable',
          `PostgreSQL stopped during recovery${log.fatal.length ? `: ${log.fatal.slice(-3).join(' | ')}` : ''}`,
          { hint: this.logHint() },
        );
      }
      const ended = paused === null && opts.ended ? await opts.ended() : null;
      if (ended !== null) {
        if (ended && (await this.accepting())) return 'ended';
      } else if (await this.accepting()) {
        // The pause is asked about only during recovery, where its functions answer: recovery that ended without
        // pausing (no target met before 13) makes them raise an error.
        const sql = `select pg_catalog.pg_is_in_recovery()${paused ? `, case when pg_catalog.pg_is_in_recovery() then ${paused} end` : ''}`;
        // A hot standby takes connections during recovery, and may end it (or stop) between the check and the query.
        const answer = await this.query(sql, opts).catch(async (err: unknown) => {
          const said = (err as Error).message;
          if (NOT_ACCEPTING.test(said) || RECOVERY_ENDED.test(said) || !(await this.alive())) return null;
          // Stopping, it may still be alive: looked at again, it is seen stopped, and its log says why.
          if ((CONNECTION_LOST.test(said) || SOCKET_GONE.test(said)) && ++lost <= MAX_LOST) return null;
          throw err;
        });
        if (answer) lost = 0;
        const [inRecovery, isPaused] = answer?.rows[0] ?? [];
        if (inRecovery === 'f') return 'ended';
        if (isPaused === 't') {
          const log = await this.log();
          if (parseRecoveryLog(log).stopped !== null) return 'paused';
          // PostgreSQL 14+ pause short of the target when the WAL raises a setting a hot standby must match.
          if (STANDBY_REFUSED.test(log))
            throw new DrillFailed('not-restorable', `PostgreSQL paused replay: ${STANDBY_REFUSED.exec(log)![0]}`);
        }
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /**
   * Run one SQL text through psql as the superuser `conn.user`, for our own catalog reads (system
   * functions only); the rows of its last statement. Throws with psql's error. The session's
   * search_path is pg_catalog and pg_temp only, whatever the archive's roles and databases set.
   */
  async query(sql: string, conn: { user: string; database: string }): Promise<QueryResult> {
    return this.psql(sql, conn.user, conn.database, clientEnv());
  }

  /**
   * Makes the restored copy safe to read as the reader role (systems/pg-reader.ts), through the
   * superuser `user`; what was changed in the copy.
   */
  async prepareReading(conn: { user: string; database: string }, major: number): Promise<string[]> {
    return prepareReading(async (database, sql) => (await this.query(sql, { ...conn, database })).rows, conn.database, major);
  }

  /**
   * Run one SQL text as the reader role, no superuser, in a READ ONLY transaction, with `searchPath`
   * (pg_catalog first); the rows of its last statement.
   */
  async read(sql: string, database: string, searchPath?: string): Promise<QueryResult> {
    return this.psql(sql, READER_ROLE, database, unprivilegedClientEnv(searchPath, true));
  }

  /**
   * Run one SQL text (a table's `COPY … TO STDOUT`) as `role`, a role that is no superuser (the reader
   * role, or at a pause, where no role can be made, a role of the copy's own vetted by
   * systems/pg-reader.ts and let log in by `permitLogin`), in a READ ONLY transaction, search_path
   * pg_catalog first: the lines it prints, a batch per read as they come.
   */
  readLines(sql: string, database: string, role = READER_ROLE): AsyncGenerator<string[]> {
    return psqlLines(this.endpoint, { user: role, database, sql, env: unprivilegedClientEnv(undefined, true) });
  }

  /**
   * Lets the sandbox's account log in as `role` (a role of the copy's own, at a pause) from now on: the
   * server's login rules are rewritten and reloaded, and the next session waits until the server has
   * read them (`pg_conf_load_time` moved on), as a reload is only signalled.
   */
  async permitLogin(role: string, conn: { user: string; database: string }): Promise<void> {
    const loaded = async (): Promise<string> => (await this.query('select pg_catalog.pg_conf_load_time()', conn)).rows[0]?.[0] ?? '';
    const before = await loaded();
    await this.o.scratch.sandbox.permit(role);
    await this.query('select pg_catalog.pg_reload_conf()', conn);
    const until = performance.now() + RELOAD_GRACE_MS;
    while ((await loaded()) === before) {
      if (performance.now() > until) throw new Error(`the server did not reload its login rules within ${RELOAD_GRACE_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async psql(sql: string, user: string, database: string, env: NodeJS.ProcessEnv): Promise<QueryResult> {
    return { rows: await psqlRows(this.endpoint, { user, database, sql, env }) };
  }

  /** Stops the server (a restart of the drill starts another in the same sandbox); stopped, or never started, is fine. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.stop();
  }
}
