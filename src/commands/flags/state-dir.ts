import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { invocation } from '../../core/invocation.js';

/**
 * The state folder, the same from any working folder so `resume` finds the run: the XDG base
 * directory convention, overridable by DINGO_RECOVER_STATE_DIR (and --state-dir).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = invocation().env): string {
  if (env.DINGO_RECOVER_STATE_DIR) return resolve(env.DINGO_RECOVER_STATE_DIR);
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'dingo-recover');
}
