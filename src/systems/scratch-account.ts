/**
 * The account a scratch PostgreSQL on a tenant's data runs as, named here only: `dingo-scratch`, a
 * system account of its own with no login shell, no home and no group but its own, made the first
 * time one is needed. Whatever code of the tenant's might run in that server runs as this account,
 * in a network namespace of its own with no interface up (not even loopback: the server listens only
 * on its Unix socket, which a namespace does not hide), in a mount namespace where it can write only its
 * scratch folders, with no capability and no way to gain one.
 * Only root can switch accounts and make a namespace, so a tool not run as root refuses to start one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { StepFailed } from '../core/errors.js';
import type { RunAs } from '../core/seams.js';

export const SCRATCH_ACCOUNT = 'dingo-scratch';

/** The account named `name` from /etc/passwd, or null when it does not exist. */
export function lookupUser(name: string): RunAs | null {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) {
      return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
    }
  }
  return null;
}

/** The scratch account, made when missing; refused when we are not root. */
export function scratchAccount(): RunAs {
  if (process.getuid?.() !== 0) {
    throw new StepFailed(
      `a scratch PostgreSQL on a tenant's data runs as the ${SCRATCH_ACCOUNT} account in a network namespace of its own, which only root can arrange`,
      { hint: 'run dingo-recover as root (sudo dingo-recover ...), as on a jumpbox' },
    );
  }
  const found = lookupUser(SCRATCH_ACCOUNT);
  if (found) return checked(found);
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin'].concat([
        '--comment',
        'dingo-recover scratch PostgreSQL',
        SCRATCH_ACCOUNT,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
  } catch (err) {
    // Another run may have made it meanwhile (useradd exits 9): then it is there now.
    const made = lookupUser(SCRATCH_ACCOUNT);
    if (made) return checked(made);
    throw new StepFailed(`could not create the ${SCRATCH_ACCOUNT} account the scratch PostgreSQL runs as: ${(err as Error).message}`, {
      hint: `create it by hand: useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${SCRATCH_ACCOUNT}`,
    });
  }
  return checked(lookupUser(SCRATCH_ACCOUNT)!);
}

/** An account of that name with root's uid or group would defeat the point: refused. */
function checked(account: RunAs): RunAs {
  if (account.uid === 0 || account.gid === 0) {
    throw new StepFailed(`the ${SCRATCH_ACCOUNT} account has uid ${account.uid}, gid ${account.gid}: root's`, {
      hint: `make it an unprivileged system account of its own (userdel ${SCRATCH_ACCOUNT}; the next run creates it)`,
    });
  }
  return account;
}

/**
 * What runs first in the new namespaces, as root, before the account switch: every mount of the mount
 * namespace is made read-only (one that cannot be, such as a kernel file system, is then checked below
 * through the folders that matter), a private empty tmpfs is put on /dev/shm (PostgreSQL's dynamic shared
 * memory), and the writable folders given (`$1` of them, then their paths) are bound writable again.
 * A folder that can still be written outside them stops the start. Then the command runs (`exec "$@"`).
 */
const FILE_SYSTEM_SANDBOX = `set -e
n=$1; shift
i=0
while [ "$i" -lt "$n" ]; do eval "w$i=\\$1"; shift; i=$((i + 1)); done
while read -r _ _ _ _ point _; do
  mount -o remount,bind,ro "$(printf '%b' "$point")" 2>/dev/null || true
done < /proc/self/mountinfo
mount -t tmpfs -o size=256m,mode=1777,nosuid,nodev,noexec tmpfs /dev/shm
i=0
while [ "$i" -lt "$n" ]; do
  eval "w=\\$w$i"
  mount --bind "$w" "$w"
  mount -o remount,bind,rw,nosuid,nodev "$w"
  i=$((i + 1))
done
for d in / /tmp /var/tmp /run /run/lock /root /home /etc /var/lib; do
  if [ -d "$d" ] && (: > "$d/.dingo-scratch-probe") 2>/dev/null; then
    rm -f "$d/.dingo-scratch-probe"
    echo "dingo-recover: could not make $d read-only for the scratch PostgreSQL" >&2
    exit 1
  fi
done
exec "$@"`;

/**
 * `argv` run, when started by root, as `as` in new network and mount namespaces: no interface up, every
 * file system read-only but the `writable` folders (the scratch copy, its socket and log folders) and a
 * private /dev/shm, no supplementary group, no capability (none inherited, none in the bounding set) and
 * no way to gain privileges (no setuid). pg_ctl's postmaster and everything it starts stay in them.
 */
export function isolated(argv: string[], as: RunAs, writable: readonly string[]): string[] {
  return [
    'unshare',
    '--net',
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    FILE_SYSTEM_SANDBOX,
    'dingo-scratch-sandbox',
    String(writable.length),
    ...writable,
    'setpriv',
    `--reuid=${as.uid}`,
    `--regid=${as.gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
    ...argv,
  ];
}
