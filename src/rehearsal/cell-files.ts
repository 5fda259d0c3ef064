/**
 * The folders of the simulated cell, as `find`, `mkdir -p` and `test -e` see them: exactly the
 * command lines src/adapters/cell-files.ts builds, nothing else.
 */
import { type CellWorld, fail, ok, type Out } from './cell-world.js';

export function find(state: CellWorld, a: string[]): Out {
  const [dir = '', ...rest] = a;
  const shape = rest.slice(0, 4).join(' ');
  if (shape !== '-mindepth 1 -maxdepth 1') return fail(1, `find: the simulated cell does not know: find ${a.join(' ')}\n`);
  const entries = state.files[dir];
  if (!entries) return fail(1, `find: '${dir}': No such file or directory\n`);
  const action = rest.slice(4);
  if (action.length === 2 && action[0] === '-printf' && action[1] === '%f\\0') return ok(entries.map((e) => `${e}\0`).join(''));
  if (action.length === 6 && action[0] === '-exec' && action[1] === 'mv' && action[2] === '-t' && action[4] === '{}' && action[5] === '+') {
    return moveAll(state, dir, action[3]!);
  }
  return fail(1, `find: the simulated cell does not know: find ${a.join(' ')}\n`);
}

/** `find DIR … -exec mv -t DEST {} +`: every entry of DIR, with what is below it, into DEST. */
function moveAll(state: CellWorld, dir: string, dest: string): Out {
  const target = state.files[dest];
  if (!target) return fail(1, `mv: target '${dest}': No such file or directory\n`);
  const names = state.files[dir] ?? [];
  const files = new Map(Object.entries(state.files));
  for (const name of names) {
    if (!target.includes(name)) target.push(name);
    const from = `${dir}/${name}`;
    for (const [key, entries] of [...files]) {
      if (key === from || key.startsWith(`${from}/`)) {
        files.set(`${dest}/${name}${key.slice(from.length)}`, entries);
        files.delete(key);
      }
    }
  }
  state.files = Object.fromEntries(files);
  state.files[dir] = [];
  return ok();
}

function parentOf(path: string): { parent: string; name: string } {
  const i = path.lastIndexOf('/');
  return { parent: i <= 0 ? '/' : path.slice(0, i), name: path.slice(i + 1) };
}

export function mkdirP(state: CellWorld, path: string): Out {
  const missing: string[] = [];
  for (let p = path.replace(/\/+$/, ''); p && p !== '/' && !(p in state.files); p = parentOf(p).parent) missing.unshift(p);
  for (const p of missing) {
    state.files[p] = [];
    const { parent, name } = parentOf(p);
    if (parent in state.files && !state.files[parent]!.includes(name)) state.files[parent]!.push(name);
  }
  return ok();
}

export function exists(state: CellWorld, path: string): boolean {
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean in state.files) return true;
  const { parent, name } = parentOf(clean);
  return state.files[parent]?.includes(name) ?? false;
}
