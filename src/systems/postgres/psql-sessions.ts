/**
 * psql sessions kept open in a scratch server's sandbox, so that a run of our statements (making a
 * copy safe to read, a look at each database, the polls of a recovery) costs a statement each, not a
 * psql, an nsenter and a server backend each. A session is one psql per role, database and
 * environment, fed on its standard input:
 * - the statement text, sent to the server as one query as `psql -c` sends it: `\gexec` of the text in
 *   dollar quotes of a tag it does not hold, so psql neither splits it, nor reads a backslash or a
 *   `:name` of it, and a text of several statements is one transaction, its rows printed as -c prints them;
 * - `discard all`, so nothing the text set (a role, a setting, a temporary table) outlives it;
 * - `\echo` of a marker only this process knows (it never reaches the server), which ends its output.
 * An error ends psql (ON_ERROR_STOP) and its words are the statement's, as a psql of its own would say
 * them; the next statement opens another session. A session waits for our next statement as long as we
 * choose: on a server that has idle_session_timeout (14+, the server's version as `serving` tells it, never
 * psql's), a database's or a role's setting of it, which could end a session between its connection and
 * its first statement on a busy machine, is switched off at connection (PGOPTIONS, which wins over both).
 * The sessions belong to one server: they are closed before it stops and before another starts in the
 * sandbox, and once idle for IDLE_MS, so none holds a connection slot the server's other clients
 * (pg_dump, a COPY's reader) need. A psql older than 9.6 (no \gexec), a text holding the tag, or every
 * session busy: the caller runs a psql of its own.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { SandboxedConversation, ScratchSandbox } from '../../core/seams.js';
import { versionSaid } from '../../core/pg-version.js';

/** What a statement's psql printed, or said when it failed. */
export type Answer = { ok: true; stdout: string } | { ok: false; said: string };

/** How long a session may wait for its next statement before it is closed. */
const IDLE_MS = 2000;

/** Sessions open at once: a superuser's and a reader's are the most a flow uses together. */
const MAX_SESSIONS = 2;

/** A program's version as a number (9.6, 15), or null when it names none: asked once per program in a process. */
const versionByProgram = new Map<string, Promise<number | null>>();

async function versionOf(sandbox: ScratchSandbox, program: string): Promise<number | null> {
  let known = versionByProgram.get(program);
  if (!known) {
    known = sandbox.run([program, '--version']).then((r) => {
      const version = r.code === 0 ? versionSaid(r.stdout) : null;
      return version === null ? null : parseFloat(version);
    });
    versionByProgram.set(program, known);
  }
  return known;
}

/**
 * `env` with the server's ending of idle sessions switched off, on a server that has it (14+): an
 * older one refuses the name, and so a server of unknown version is not given it. The server's version,
 * not psql's: a newer psql talks to an older server.
 */
function keptOpen(env: NodeJS.ProcessEnv, serverVersion: number | null): NodeJS.ProcessEnv {
  if (serverVersion === null || serverVersion < 14) return env;
  return { ...env, PGOPTIONS: `${env.PGOPTIONS ?? ''} -c idle_session_timeout=0`.trim() };
}

class Session {
  private out = '';
  private err = '';
  private code: number | null | undefined;
  private wake: (() => void) | null = null;
  private busy = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly marker = `dingo-recover-end-${randomBytes(16).toString('hex')}`;
  readonly tag = `$q${randomBytes(8).toString('hex')}$`;
  lastUsed = 0;

  constructor(
    private readonly talk: SandboxedConversation,
    private readonly onIdle: () => void,
  ) {
    talk.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      this.wake?.();
    });
    talk.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
    });
    talk.stdin.on('error', () => undefined);
    void talk.exited.then((c) => {
      this.code = c;
      this.wake?.();
    });
  }

  get open(): boolean {
    return this.code === undefined;
  }

  get free(): boolean {
    return this.open && !this.busy;
  }

  async run(sql: string): Promise<Answer> {
    this.busy = true;
    clearTimeout(this.idle);
    this.err = '';
    try {
      this.talk.stdin.write(`select ${this.tag}${sql}${this.tag} \\gexec\ndiscard all;\n\\echo ${this.marker}\n`);
      for (;;) {
        const at = this.out.indexOf(`${this.marker}\n`);
        if (at >= 0) {
          const stdout = this.out.slice(0, at);
          this.out = this.out.slice(at + this.marker.length + 1);
          return { ok: true, stdout };
        }
        if (!this.open) return { ok: false, said: this.err.trim() || this.out.trim() || `psql exited with ${this.code ?? 'a signal'}` };
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    } finally {
      this.busy = false;
      this.lastUsed = performance.now();
      if (this.open) this.idle = setTimeout(this.onIdle, IDLE_MS).unref();
    }
  }

  /**
   * Ends psql (its session with it) and waits until it is gone; one running a statement ends when that
   * statement does, or when the server stopping ends its session (a drill's deadline, a Ctrl-C): it is not waited for.
   */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    this.talk.stdin.end();
    if (!this.busy) await this.talk.exited;
  }
}

/** The sessions of one scratch server's clients, by psql command line and environment. */
export class PsqlSessions {
  private readonly sessions = new Map<string, Session>();
  /** The version of the server the sessions talk to, once one started (`serving`). */
  private serverVersion: Promise<number | null> = Promise.resolve(null);

  constructor(private readonly sandbox: ScratchSandbox) {}

  /** The server now running: its `postgres` program (local binaries), or its image's major. */
  serving(server: { postgres: string } | { major: string }): void {
    this.serverVersion =
      'postgres' in server ? versionOf(this.sandbox, server.postgres) : Promise.resolve(parseFloat(server.major) || null);
  }

  /**
   * `sql` in the session of `argv` (psql's command line without a statement) and `env`: what it
   * printed, or said failing; null when no session takes it (the caller runs a psql of its own).
   */
  async run(bin: string, argv: string[], env: NodeJS.ProcessEnv, sql: string): Promise<Answer | null> {
    // \gexec came with 9.6.
    const version = await versionOf(this.sandbox, join(bin, 'psql'));
    if (version === null || version < 9.6) return null;
    return this.once(JSON.stringify([argv, env]), argv, keptOpen(env, await this.serverVersion), sql);
  }

  private async once(key: string, argv: string[], env: NodeJS.ProcessEnv, sql: string): Promise<Answer | null> {
    let session = this.sessions.get(key);
    if (!session?.open) {
      if (session) this.sessions.delete(key);
      if (!(await this.makeRoom())) return null;
      // Another statement may have opened it meanwhile.
      session = this.sessions.get(key) ?? this.open(key, argv, env);
    }
    if (!session.free || sql.includes(session.tag)) return null;
    return session.run(sql);
  }

  private open(key: string, argv: string[], env: NodeJS.ProcessEnv): Session {
    const session: Session = new Session(this.sandbox.converse(argv, { env }), () => {
      if (this.sessions.get(key) === session && session.free) {
        this.sessions.delete(key);
        void session.close();
      }
    });
    this.sessions.set(key, session);
    return session;
  }

  /** Closes the least recently used free session when MAX_SESSIONS are open; false when all are busy. */
  private async makeRoom(): Promise<boolean> {
    for (const [key, s] of this.sessions) if (!s.open) this.sessions.delete(key);
    if (this.sessions.size < MAX_SESSIONS) return true;
    const free = [...this.sessions].filter(([, s]) => s.free).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    const [oldest] = free;
    if (!oldest) return false;
    this.sessions.delete(oldest[0]);
    await oldest[1].close();
    return true;
  }

  /** Closes every session and waits until their psql are gone (before the server stops, or another starts). */
  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
