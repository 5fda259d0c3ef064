/**
 * cf keeps its login and its target in `$CF_HOME/.cf/config.json` (else `~/.cf/config.json`), and
 * `cf target -o ORG -s SPACE` rewrites that file: every other terminal of the operator would be
 * targeted at the run's space. A run's cf commands use a private copy instead, in the run's folder
 * (0700 folders, a 0600 file: it holds the operator's tokens), made before its first cf command and
 * made again when it is gone (a resume after the folder was cleaned). The plugins stay the
 * operator's (`CF_PLUGIN_HOME`). The copy's path is given to cf in its environment only, below the
 * runners that journal commands; its contents are never read by this program.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StepFailed } from '../core/errors.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../core/seams.js';

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
 * first when the copy is not there; the plugins stay where the operator's cf finds them.
 */
export function privateCfHome(runDir: string, env: NodeJS.ProcessEnv = process.env): { CF_HOME: string; CF_PLUGIN_HOME: string } {
  const original = operatorHome(env);
  const home = join(runDir, PRIVATE_CF_HOME);
  const copy = cfConfigFile(home);
  if (!existsSync(copy)) {
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
    for (const dir of [home, join(home, '.cf')]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    }
    writeFileSync(copy, config, { mode: 0o600 });
    chmodSync(copy, 0o600);
  }
  return { CF_HOME: home, CF_PLUGIN_HOME: env.CF_PLUGIN_HOME || original };
}

/** A runner of cf commands that runs each with the run's private CF_HOME. */
export class PrivateCfHomeRunner implements CommandRunner {
  readonly where: string;

  constructor(
    private readonly inner: CommandRunner,
    private readonly runDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.where = inner.where;
  }

  async run(spec: CommandSpec): Promise<CommandResult> {
    const home = privateCfHome(this.runDir, this.env);
    return await this.inner.run({ ...spec, env: { ...spec.env, ...home } });
  }
}
