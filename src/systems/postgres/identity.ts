/**
 * The identity one scratch PostgreSQL runs as: a uid and gid of its own, chosen per server, that no
 * account of this machine has, no container runtime maps (the /etc/subuid and /etc/subgid ranges) and
 * no other server of any dingo-recover process holds at the same time (each is reserved by a file made
 * with O_EXCL in a root-only folder of /run, removed when the server's sandbox closes). No account is
 * added to /etc/passwd: the server's sandbox sees a passwd file of its own naming that uid
 * `dingo-scratch` (PostgreSQL's initdb and its peer login look the name up), so nothing is left in the
 * machine's accounts however the tool ends.
 *
 * Ids are drawn at random from 0x70000000–0x7ffdffff, the part of the 31-bit space that systemd leaves
 * unused (its container and dynamic ranges end below it, its "foreign" range starts above): among
 * 268 million, two servers of two runs a day apart do not meet, and a reservation a killed run left
 * behind is never taken again until /run is cleared at boot.
 */
import { randomInt } from 'node:crypto';
import { lstat, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StepFailed } from '../../core/errors.js';
import type { RunAs } from '../../core/seams.js';
import { invocation } from '../../core/invocation.js';

/** The name the scratch server's uid has inside its own sandbox (and only there). */
export const SCRATCH_ACCOUNT = 'dingo-scratch';

const FIRST_ID = 0x70000000;
const LAST_ID = 0x7ffdffff;

/** Where the tool keeps what only root may see while it runs: the id reservations and each sandbox's own files. */
export function runFolder(): string {
  return invocation().env.DINGO_RECOVER_RUN_FOLDER || '/run/dingo-recover';
}

/** A folder of root's alone (made 0700 when missing); anything else of that name is refused. */
export async function rootFolder(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const st = await lstat(path);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o077) !== 0) {
    throw new StepFailed(`${path} is not a folder of root's alone (mode 0700): a scratch PostgreSQL's identity cannot be kept there`, {
      hint: `move ${path} aside, then try again`,
    });
  }
  return path;
}

/** The uids (or gids) an account, a group or a container runtime's mapping of this machine uses, as ranges. */
async function usedIds(): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  const text = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');
  for (const [path, field] of [
    ['/etc/passwd', 2],
    ['/etc/passwd', 3],
    ['/etc/group', 2],
  ] as const) {
    for (const line of (await text(path)).split('\n')) {
      const id = Number(line.split(':')[field]);
      if (line && Number.isInteger(id)) ranges.push([id, id]);
    }
  }
  for (const path of ['/etc/subuid', '/etc/subgid']) {
    for (const line of (await text(path)).split('\n')) {
      const [, start, count] = line.split(':').map(Number);
      if (Number.isInteger(start) && Number.isInteger(count) && count! > 0) ranges.push([start!, start! + count! - 1]);
    }
  }
  return ranges;
}

/** One server's identity, reserved until `release`. */
export interface ScratchIdentity extends RunAs {
  /** Its passwd and group lines, for the files its sandbox sees as /etc/passwd and /etc/group. */
  passwd: string;
  group: string;
  release(): Promise<void>;
}

/**
 * A uid of its own for one scratch server, reserved for as long as it runs. Only root can run a
 * process as another uid and make the namespaces around it: a tool not run as root is refused.
 */
export async function newIdentity(): Promise<ScratchIdentity> {
  if (process.getuid?.() !== 0) {
    throw new StepFailed(
      "a scratch PostgreSQL on a tenant's data runs under a uid of its own in namespaces of its own (no network, no view of this machine's processes or files), which only root can arrange",
      { hint: 'run dingo-recover as root (sudo dingo-recover ...), as on a jumpbox' },
    );
  }
  const folder = await rootFolder(join(runFolder(), 'ids'));
  const used = await usedIds();
  for (let attempt = 0; attempt < 64; attempt++) {
    const id = randomInt(FIRST_ID, LAST_ID + 1);
    if (used.some(([from, to]) => id >= from && id <= to)) continue;
    const reservation = join(folder, String(id));
    const file = await open(reservation, 'wx', 0o600).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw err;
    });
    if (!file) continue;
    await file.writeFile(`${process.pid}\n`);
    await file.close();
    let released = false;
    return {
      name: SCRATCH_ACCOUNT,
      uid: id,
      gid: id,
      home: '/nonexistent',
      passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\n${SCRATCH_ACCOUNT}:x:${id}:${id}:dingo-recover scratch PostgreSQL:/nonexistent:/usr/sbin/nologin\n`,
      group: `root:x:0:\n${SCRATCH_ACCOUNT}:x:${id}:\n`,
      async release() {
        if (released) return;
        released = true;
        await rm(reservation, { force: true });
      },
    };
  }
  throw new StepFailed(`no free id for a scratch PostgreSQL in ${folder} after 64 tries`, {
    hint: `the reservations there are of servers that ran (a killed run leaves its own): remove ${folder} when no dingo-recover runs, then try again`,
  });
}
