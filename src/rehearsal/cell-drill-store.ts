/**
 * The cell's store as the drill's commands see it on the simulated cell: `df -Pk`, `find` of our
 * folders, `mkdir -m`, `chown` and `rm -rf --one-file-system`, its free space what it had less what
 * other tenants and the drills' folders wrote.
 */
import { withoutKeys } from './json-state.js';
import { fail, ok, type Out } from './cell-world.js';
import type { DrillState } from './cell-drill-world.js';

/** The name our scratch folders and containers start with. */
const DRILL_FOLDER = 'dingo-recover-drill-';
/** The store's free blocks when the scenario gives none: 200 GiB. */
const STORE_FREE_KB = 200 * 1024 * 1024;

/** `df`, `mkdir -m`, `chown`, `rm -rf` on the cell's store, or undefined. */
export function drillFiles(state: DrillState, argv: string[]): Out | undefined {
  const [program, ...a] = argv;
  if (program === 'df' && a[0] === '-Pk' && a.length === 2) {
    const size = (state.storeFreeKb ?? STORE_FREE_KB) * 2;
    const free = storeFree(state);
    // df's Capacity: used / (used + available), rounded up (coreutils df.c).
    const capacity = Math.ceil(((size - free) * 100) / size);
    return ok(
      `Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/sdc1      ${size} ${size - free} ${free}      ${capacity}% /var/vcap/store\n`,
    );
  }
  // find STORE -mindepth 1 -maxdepth 1 -type d -name 'dingo-recover-drill-*': the drill's folders in the store.
  if (program === 'find' && a.slice(1).join(' ') === `-mindepth 1 -maxdepth 1 -type d -name ${DRILL_FOLDER}*`) {
    // The store is the cell's persistent disk, always there; the world tracks only the folders it holds.
    const store = a[0] ?? '';
    return ok(
      (state.files[store] ?? [])
        .filter((e) => e.startsWith(DRILL_FOLDER) && `${store}/${e}` in state.files)
        .map((e) => `${store}/${e}\n`)
        .join(''),
    );
  }
  const folder = a[a.length - 1] ?? '';
  if (!folder.startsWith(`/var/vcap/store/${DRILL_FOLDER}`)) return undefined;
  const { parent, name } = { parent: folder.slice(0, folder.lastIndexOf('/')), name: folder.slice(folder.lastIndexOf('/') + 1) };
  if (program === 'mkdir' && a[0] === '-m' && a.length === 3) {
    if (folder in state.files) return fail(1, `mkdir: cannot create directory '${folder}': File exists\n`);
    state.files[folder] = [];
    (state.files[parent] ??= []).push(name);
    return ok();
  }
  if (program === 'chown' && a.length === 2)
    return folder in state.files ? ok() : fail(1, `chown: cannot access '${folder}': No such file or directory\n`);
  if (program === 'rm' && a.join(' ') === `-rf --one-file-system ${folder}`) {
    state.files = withoutKeys(state.files, [folder]);
    if (state.files[parent]) state.files[parent] = state.files[parent].filter((e) => e !== name);
    if (state.drillData) state.drillData = withoutKeys(state.drillData, [folder]);
    return ok();
  }
  return undefined;
}

/** Free 1024-byte blocks on the store: what it had, less what other tenants and the drills' folders wrote. */
export function storeFree(state: DrillState): number {
  const ours = Object.values(state.drillData ?? {}).reduce((n, d) => n + (d.kb ?? 0), 0);
  return Math.max(0, (state.storeFreeKb ?? STORE_FREE_KB) - (state.othersWroteKb ?? 0) - ours);
}
