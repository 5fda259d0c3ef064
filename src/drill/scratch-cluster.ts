/**
 * The throwaway PostgreSQL a drill recovers into: private port and 0700 socket
 * folder, the sandbox's settings on its command line and an environment of its
 * own (systems/pg-sandbox.ts), run as the scratch account in a network namespace of its own
 * (systems/scratch-account.ts), or in the `postgres:<major>` image (systems/pg-image.ts) when no local
 * server binaries fit the archive; watched until archive recovery has ended (or the server died, or
 * the drill was stopped). Once it has, the copy is made safe to read and the tables are read as a role
 * that is no superuser (systems/pg-reader.ts).
 */
import { readLog } from '../core/read-regular.js';
import { dirname, join } from 'node:path';
import { DrillFailed } from './exit-codes.js';
import type { DockerEngine, LocalProcesses, RunAs } from '../core/seams.js';
import { startInImage, type ImageServer } from '../systems/pg-image.js';
import { parseRecoveryLog, serverLog } from './recovery-log.js';
import { clientEnv, postgresOptions, serverEnv, unprivilegedClientEnv } from '../systems/pg-sandbox.js';
import { isolated } from '../systems/scratch-account.js';
import { prepareReading, READER_ROLE } from '../systems/pg-reader.js';
import { programLines } from '../systems/pg-lines.js';

/** The server in the `postgres:<major>` image: its settings carry the container's paths. */
export interface ClusterImage {
  engine: DockerEngine;
  major: string;
  /** The container's name (a restart reuses it: the earlier container is removed first). */
  name: string;
  /** Host folders the server reads, mounted read-only (the WAL the drill fetched). */
  readOnly: { source: string; target: string }[];
}

export interface ClusterOptions {
  /** The server binaries (pg_ctl), and psql and pg_isready; in the image, only the local client binaries. */
  bin: string;
  /** Run the server in this image instead of with pg_ctl (the clients then run as we do: the socket is the image's account's). */
  image?: ClusterImage;
  dataDir: string;
  socketDir: string;
  port: number;
  logFile: string;
  /** Where in the log this server's lines start (bytes): a copy moved to another target reads only what it wrote since. */
  logFrom?: number;
  /** The scratch account: the local server runs as it, in a network namespace of its own. */
  as: RunAs;
  /** Settings given on the server's command line (they win over every configuration file). */
  settings: [string, string][];
  /** How pg_ctl, pg_isready and psql run. */
  processes: LocalProcesses;
}

const FIELD_SEP = '\x1f';

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

/** Sessions lost in a row past which the failure is the query's own: a server that drops every session and lives on. */
const MAX_LOST = 50;

/** How long a just-started postmaster may take to write postmaster.pid. */
const PID_FILE_GRACE_MS = 5000;

export class ScratchCluster {
  private container: ImageServer | null = null;
  /** How the image's server ran, kept after its container is removed. */
  private ranIn: string | null = null;

  constructor(private readonly o: ClusterOptions) {}

  private pg(bin: string): string {
    return join(this.o.bin, bin);
  }

  /** Who runs psql and pg_isready: the scratch account, or we ourselves when the image's account owns the socket. */
  private get clientAs(): RunAs | undefined {
    return this.o.image ? undefined : this.o.as;
  }

  /** How the server runs: "local PostgreSQL (/usr/lib/postgresql/15/bin)" or "container postgres:15 (abc123def456)". */
  get how(): string {
    return this.ranIn ?? (this.o.image ? `container postgres:${this.o.image.major} (not started)` : `local PostgreSQL (${this.o.bin})`);
  }

  get logFile(): string {
    return this.o.logFile;
  }

  /** Starts the server in the image: its container created and started (nothing is pulled). */
  private async startContainer(image: ClusterImage): Promise<void> {
    this.container = await startInImage({
      engine: image.engine,
      major: image.major,
      dataDir: this.o.dataDir,
      socketDir: this.o.socketDir,
      settings: this.o.settings,
      readOnly: image.readOnly,
      name: image.name,
      purpose: 'restore drill of a wal-e archive',
    });
    this.ranIn = this.container.how;
  }

  async start(): Promise<void> {
    // -W: return at once; recovery can take long and is watched by waitRecovered().
    const argv = [
      this.pg('pg_ctl'),
      '-D',
      this.o.dataDir,
      '-l',
      this.o.logFile,
      '-W',
      '-s',
      '-o',
      postgresOptions(this.o.settings),
      'start',
    ];
    // A server started again appends to the same log: only what this start wrote tells whether it died.
    const logBefore = (await this.log()).length;
    if (this.o.image) await this.startContainer(this.o.image);
    else
      await this.o.processes.runOk(isolated(argv, this.o.as, [dirname(this.o.logFile), this.o.dataDir, this.o.socketDir]), {
        env: serverEnv(),
      });
    // Wait for postmaster.pid, so that from here on alive() and stop() see the server.
    const until = performance.now() + PID_FILE_GRACE_MS;
    while (!(await this.alive())) {
      const log = parseRecoveryLog((await this.log()).slice(logBefore));
      if (performance.now() > until || log.fatal.length > 0) {
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

  /** The postmaster's pid and, from PostgreSQL 10 on, its status ("starting", "ready"...). */
  private async pidFile(): Promise<{ pid: number; status: string | null } | null> {
    const text = await readLog(join(this.o.dataDir, 'postmaster.pid')).catch(() => '');
    const lines = text.split('\n');
    const pid = Number(lines[0]);
    return Number.isInteger(pid) && pid > 0 ? { pid, status: lines[7]?.trim() || null } : null;
  }

  private logHint(): string {
    return `See the server log ${this.o.logFile} (kept with --keep).`;
  }

  /** True while the postmaster recorded in postmaster.pid is alive (in the image: while its container runs and it wrote one). */
  async alive(): Promise<boolean> {
    if (this.o.image) return this.container !== null && (await this.o.image.engine.isRunning(this.container.id));
    const pf = await this.pidFile();
    if (!pf) return false;
    try {
      process.kill(pf.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Whether the server accepts connections. The status in postmaster.pid (what
   * pg_ctl -w reads) avoids a connection attempt, and a log line, per poll.
   */
  async accepting(user: string): Promise<boolean> {
    const pf = await this.pidFile();
    if (pf?.status) return pf.status === 'ready';
    const r = await this.o.processes.run([this.pg('pg_isready'), '-q', '-h', this.o.socketDir, '-p', String(this.o.port), '-U', user], {
      as: this.clientAs,
      env: clientEnv(),
    });
    return r.code === 0;
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
        if (ended && (await this.accepting(opts.user))) return 'ended';
      } else if (await this.accepting(opts.user)) {
        // The pause is asked about only during recovery, where its functions answer: recovery that ended without
        // pausing (no target met before 13) makes them raise an error.
        const sql = `select pg_catalog.pg_is_in_recovery()${paused ? `, case when pg_catalog.pg_is_in_recovery() then ${paused} end` : ''}`;
        // A hot standby takes connections during recovery, and may end it (or stop) between the check and the query.
        const answer = await this.query(sql, opts).catch(async (err: unknown) => {
          const said = (err as Error).message;
          if (NOT_ACCEPTING.test(said) || RECOVERY_ENDED.test(said) || !(await this.alive())) return null;
          // Stopping, it may still be alive: looked at again, it is seen stopped, and its log says why.
          if (CONNECTION_LOST.test(said) && ++lost <= MAX_LOST) return null;
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
   * systems/pg-reader.ts), in a READ ONLY transaction, search_path pg_catalog first: the lines it
   * prints, a batch per read as they come (systems/pg-lines.ts).
   */
  readLines(sql: string, database: string, role = READER_ROLE): AsyncGenerator<string[]> {
    const argv = [this.pg('psql'), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.o.socketDir, '-p', String(this.o.port)];
    return programLines((source, stages, sink) => this.o.processes.pipeThrough(source, stages, sink), {
      argv: [...argv, '-U', role, '-d', database, '-c', sql],
      opts: { as: this.clientAs, env: unprivilegedClientEnv(undefined, true) },
    });
  }

  private async psql(sql: string, user: string, database: string, env: NodeJS.ProcessEnv): Promise<QueryResult> {
    const r = await this.o.processes.run(
      [
        this.pg('psql'),
        '-X',
        '-q',
        '-A',
        '-t',
        '-F',
        FIELD_SEP,
        '-0',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        this.o.socketDir,
        '-p',
        String(this.o.port),
        '-U',
        user,
        '-d',
        database,
        '-c',
        sql,
      ],
      { as: this.clientAs, env },
    );
    if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim() || `psql exited with ${r.code}`);
    const records = r.stdout.split('\0');
    if (records.length && records[records.length - 1]!.replace(/\n$/, '') === '') records.pop();
    return { rows: records.map((rec) => rec.split(FIELD_SEP)) };
  }

  async stop(): Promise<void> {
    if (this.container) {
      // Stopped and removed, also when it already exited: never left behind.
      const container = this.container;
      this.container = null;
      await container.remove();
      return;
    }
    if (!(await this.alive())) return;
    const fast = await this.o.processes.run([this.pg('pg_ctl'), '-D', this.o.dataDir, '-m', 'fast', '-t', '30', '-w', '-s', 'stop'], {
      as: this.o.as,
      env: serverEnv(),
    });
    if (fast.code !== 0 && (await this.alive())) {
      await this.o.processes.run([this.pg('pg_ctl'), '-D', this.o.dataDir, '-m', 'immediate', '-w', '-s', 'stop'], {
        as: this.o.as,
        env: serverEnv(),
      });
    }
  }
}
