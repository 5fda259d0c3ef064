/**
 * Whether a file or folder the tool obeys (a settings file, a scenario, a state folder, a run's
 * journal) is the operator's, as OpenSSH checks its config files (`safe_path`): the path, resolved
 * through its symlinks, and every folder above it up to `/` must be owned by the effective user or
 * root, and writable by neither its group nor other users. Otherwise another account could have
 * written, or could swap, what a root run then follows (a `cf-bin`, a journal's next step).
 *
 * One difference: a folder above with the sticky bit (`/tmp`) is accepted, since there no one but
 * an entry's owner may rename or remove it; the file or folder itself never is.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { UsageError } from './errors.js';
import { pasteQuote } from './shell-quote.js';

const STICKY = 0o1000;

function operator(): { uid: number; name: string } {
  const uid = process.geteuid?.() ?? 0;
  let name = String(uid);
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry: the uid names it.
  }
  return { uid, name };
}

function modeText(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/** Why `path` (the file itself, or a folder above it) cannot be trusted, or undefined. */
function problem(path: string, st: Stats, self: boolean, me: { uid: number; name: string }): { message: string; hint: string } | undefined {
  const subject = self ? 'it' : `the folder ${path} above it`;
  if (st.uid !== me.uid && st.uid !== 0) {
    const owners = me.uid === 0 ? 'not root (you)' : `neither you (${me.name}) nor root`;
    return {
      message: `${subject} is owned by uid ${st.uid}, ${owners}`,
      hint: `check what it holds, then make it yours: chown ${pasteQuote(me.name)} ${pasteQuote(path)}; or use a file or folder of your own`,
    };
  }
  const sticky = !self && st.isDirectory() && (st.mode & STICKY) !== 0;
  if ((st.mode & 0o022) !== 0 && !sticky) {
    const group = (st.mode & 0o020) !== 0;
    const others = (st.mode & 0o002) !== 0;
    const who = group && others ? 'its group and other users' : group ? 'its group' : 'other users';
    return {
      message: `${subject} may be written by ${who} (mode ${modeText(st)})`,
      hint: `check what it holds, then take their write access away: chmod go-w ${pasteQuote(path)}`,
    };
  }
  return undefined;
}

/**
 * Refuses `path` (`what` names it: "settings file", "journal of run X") when it, or a folder above
 * it, is another user's or writable by others; a path that does not exist is left to the caller.
 */
export function checkTrusted(path: string, what: string): void {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return;
  }
  const me = operator();
  for (let p = real, self = true; ; self = false) {
    const found = problem(p, statSync(p), self, me);
    if (found) {
      const shown = real === path ? path : `${path} (${real})`;
      throw new UsageError(`refusing the ${what} ${shown}: ${found.message}; another user could have written what it holds`, {
        hint: found.hint,
      });
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}
