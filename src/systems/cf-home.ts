/**
 * cf keeps its login and its target in `$CF_HOME/.cf/config.json` (else `~/.cf/config.json`), and
 * `cf target -o ORG -s SPACE` rewrites that file: every other terminal of the operator would be
 * targeted at the run's space. A run's cf commands use a private copy instead, in the run's folder
 * (0700 folders, a 0600 file: it holds the operator's access and refresh tokens), made fresh before
 * a session's first cf command and made again if it goes during the session. The copy lives as long
 * as the session: it is removed when the session ends (done, stopped, waiting), when the process
 * exits however it ends (a stop signal exits at once, without the session's close; see
 * removeAtExit), and when the run is abandoned, so no copy of the operator's tokens stays at rest;
 * a resume copies the config again and targets the run's space again. Only a process killed
 * outright (SIGKILL, a crash of the machine) leaves the copy: the next session replaces it and
 * removes it when it ends, and abandoning the run removes it. Token refreshes cf makes during the session land in the
 * copy and go with it: the operator's own config is never written (it may have changed since, to
 * another login or API), and its refresh token still gets the operator's cf a new access token. The
 * plugins stay the operator's (`CF_PLUGIN_HOME`). The copy's path is given to cf in its environment
 * only, below the runners that journal commands; its contents are never read by this program.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../core/seams.js';
import { invocation } from '../core/invocation.js';

/** The run folder's sub-folder that is cf's private CF_HOME. */
const PRIVATE_CF_HOME = 'cf-home';

/** The operator's cf home as cf finds it: CF_HOME, else the home folder. */
function operatorHome(env: NodeJS.ProcessEnv): string {
  return env.CF_HOME || env.HOME || homedir();
}

/** Where cf keeps its config under a CF_HOME. */
function cfConfigFile(home: string): string {
  return join(home, '.cf', 'config.json');
}

/**
 * The environment that points cf at the run's private copy of the operator's config, copying it
 * first when the copy is not there, or when `fresh` (a session's first cf command: a copy left by
 * a process killed outright is not this session's); the plugins stay where the operator's cf finds them.
 */
export function privateCfHome(
  runDir: string,
  env: NodeJS.ProcessEnv = invocation().env,
  fresh = false,
): { CF_HOME: string; CF_PLUGIN_HOME: string } {
  const original = operatorHome(env);
  const home = join(runDir, PRIVATE_CF_HOME);
  const copy = cfConfigFile(home);
  if (fresh || !existsSync(copy)) {
    const source = cfConfigFile(original);
    let config: Buffer;
    try {
      config = readFileSync(source);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
      throw new StepFailed(`cf is not logged in for this user: cannot read ${source} (${why})`, {
        hint: `log in as the operator with \`cf login -a API\` (or set CF_HOME to the folder whose .cf/config.json holds the login), then resume; the run works on a private copy of it in ${home}, so your own cf target is left as it is`,
        cause: err,
      });
    }
    // A copy left by a process killed outright is not this session's; an empty file in the folder's place is an exit's (below).
    if (fresh || lstatSync(home, { throwIfNoEntry: false })?.isDirectory() === false) removeCopy(runDir, false);
    for (const dir of [home, join(home, '.cf')]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    }
    writeFileSync(copy, config, { mode: 0o600 });
    chmodSync(copy, 0o600);
  }
  return { CF_HOME: home, CF_PLUGIN_HOME: env.CF_PLUGIN_HOME || original };
}

/** A copy being removed is first renamed to this prefix and a random suffix, in the run's folder. */
const ASIDE = `${PRIVATE_CF_HOME}.removing-`;

/**
 * Takes the run's private cf home out of cf's reach in one step (a rename), then removes it. With
 * `barrier`, an empty file takes its place, so that a cf command still running cannot make the
 * folder again: cf makes `$CF_HOME/.cf` before each write (MkdirAll, cli@v8.9.1
 * util/configv3/write_config.go), which then fails. Removing the folder where it stands would race
 * with such a write: a temp file made between the removal's read of the folder and its rmdir leaves
 * the folder, the token written into it, where it was. Copies a process killed between the rename
 * and the removal moved aside go too.
 */
function removeCopy(runDir: string, barrier: boolean): void {
  if (!existsSync(runDir)) return;
  const home = join(runDir, PRIVATE_CF_HOME);
  try {
    for (let attempt = 0; ; attempt++) {
      const found = lstatSync(home, { throwIfNoEntry: false });
      if (found?.isDirectory()) renameSync(home, join(runDir, `${ASIDE}${randomBytes(6).toString('hex')}`));
      else if (found && !barrier) rmSync(home, { force: true });
      else if (found) break; // an earlier exit's empty file: the barrier is there
      if (!barrier) break;
      try {
        writeFileSync(home, '', { mode: 0o600, flag: 'wx' });
        break;
      } catch (err) {
        // A cf made the folder again between the rename and the file: it is moved aside in turn.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === 10) throw err;
      }
    }
  } finally {
    // What was moved aside goes even when the barrier could not be put in place.
    for (const name of readdirSync(runDir)) {
      if (name.startsWith(ASIDE)) rmSync(join(runDir, name), { recursive: true, force: true });
    }
  }
}

/** Removes the run's private cf home, the operator's tokens with it; nothing when there is none. */
export function removePrivateCfHome(runDir: string): void {
  removeCopy(runDir, false);
}

/**
 * The process exits (a stop signal exits at once) maybe while a cf command still runs: the exit
 * kills it too (child-processes.ts), but not before it may have written, and cf writes its config as
 * it goes (a refreshed token) and when it ends. So the copy goes and an empty file takes the
 * folder's place (removeCopy): those writes fail instead of bringing the copy back. The next
 * session's first cf command replaces the file.
 */
export function removeAtExit(runDir: string): void {
  try {
    removeCopy(runDir, true);
  } catch {
    // The process is ending: nothing more can be done here, and the next session copies afresh.
  }
}

/**
 * A runner of cf commands that runs each with the run's private CF_HOME, for one session: its first
 * command copies the operator's config fresh, and `close` (or the process's exit) removes the copy.
 */
export class PrivateCfHomeRunner implements CommandRunner {
  readonly where: string;
  /** Removes the copy when the process exits, while this session holds one. */
  private onExit: (() => void) | undefined;

  constructor(
    private readonly inner: CommandRunner,
    private readonly runDir: string,
    private readonly env: NodeJS.ProcessEnv = invocation().env,
  ) {
    this.where = inner.where;
  }

  async run(spec: CommandSpec): Promise<CommandResult> {
    const first = this.onExit === undefined;
    if (first) {
      // Registered before the copy is made: an exit at any moment after takes it.
      this.onExit = () => {
        removeAtExit(this.runDir);
      };
      process.once('exit', this.onExit);
    }
    const home = privateCfHome(this.runDir, this.env, first);
    return await this.inner.run({ ...spec, env: { ...spec.env, ...home } });
  }

  /** The session ended: its copy of the operator's config goes; a later session copies it again. */
  close(): void {
    if (this.onExit) process.off('exit', this.onExit);
    this.onExit = undefined;
    removePrivateCfHome(this.runDir);
  }
}
