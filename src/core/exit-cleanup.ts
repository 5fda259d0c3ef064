/**
 * Folders a process removes however it ends: its transient copies of a tenant's data (a drill's
 * restored base backup and WAL) and of secrets (a deployment's manifest, a command's staged input).
 * Each is removed by its owner when done; this removes what is still held when the process exits
 * before that: a signal (the run session exits at once, on the record), or an error nothing caught.
 * Only a SIGKILL skips it: what it leaves is under a name of the run that resume and abandon sweep.
 */
import { rmSync } from 'node:fs';

const held = new Set<string>();
let hooked = false;

function removeHeld(): void {
  for (const path of held) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // A mount or a file the account may not remove: left, as a kill would leave it.
    }
  }
  held.clear();
}

/** Removes `path` if the process exits while it is held; the returned function lets it go once its owner removed it. */
export function removeOnExit(path: string): () => void {
  held.add(path);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeHeld);
  }
  return () => {
    held.delete(path);
  };
}
