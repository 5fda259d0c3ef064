/**
 * The tenant's data in a PostgreSQL data folder, told apart from initdb's own by the numbers of its
 * files in base/, as the volume's walk sees them: nothing is opened.
 */
import { join, sep } from 'node:path';
import { formatBytes } from '../core/format.js';

/**
 * What the data folder holds beyond what initdb writes: relation files (tables, indexes, TOAST)
 * numbered from 16384 (FirstNormalObjectId) in base/, and databases of such OIDs. A cluster with
 * none is fresh: initdb's catalogs and templates only, such as the empty one a new `up` creates.
 */
export interface UserData {
  /** Databases besides postgres and the templates (their folder, base/<oid>, numbered 16384 or up). */
  databases: number;
  /** User relations: main-fork files numbered 16384 or up. */
  relations: number;
  /** Bytes of their files, every fork and segment. */
  bytes: number;
}

const FIRST_NORMAL_OID = 16384;
/** A relation file: relfilenode, an optional fork, an optional segment number. */
const RELATION_FILE = /^(\d+)(_(?:fsm|vm|init))?(\.\d+)?$/;

/** Counts, from the files of the data folder's walk, those of user relations in base/<database>/. */
export function userDataCounter(dataDir: string): { visit: (path: string, size: number) => void; found: UserData } {
  const found: UserData = { databases: 0, relations: 0, bytes: 0 };
  const base = join(dataDir, 'base') + sep;
  const databases = new Set<string>();
  const visit = (path: string, size: number): void => {
    if (!path.startsWith(base)) return;
    const [db, file, deeper] = path.slice(base.length).split(sep);
    if (!db || !file || deeper !== undefined || !/^\d+$/.test(db)) return;
    if (Number(db) >= FIRST_NORMAL_OID && !databases.has(db)) {
      databases.add(db);
      found.databases++;
    }
    const m = RELATION_FILE.exec(file);
    if (!m || Number(m[1]) < FIRST_NORMAL_OID) return;
    if (!m[2] && !m[3]) found.relations++;
    found.bytes += size;
  };
  return { visit, found };
}

/** For people: what a cluster holds beyond initdb's catalogs. */
export function describeUserData(u: UserData): string {
  if (u.relations === 0)
    return `no user tables${u.databases ? ` (${u.databases} database(s) beyond the templates, all empty)` : ''}: a fresh cluster, as initdb leaves it`;
  return `${u.relations} user relation file(s) (tables, indexes, TOAST), ${formatBytes(u.bytes)}${u.databases ? `, ${u.databases} database(s) beyond postgres and the templates` : ''}`;
}
