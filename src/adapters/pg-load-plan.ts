/**
 * What of a dump the role apps bind with restores, and what the superuser makes first: the load runs
 * as that role (pg-load.ts), and some entries pg_dump writes are a superuser's or an owner's alone.
 * - `CREATE EXTENSION`: PostgreSQL before 13 lets only a superuser make any extension (13 on, only the
 *   trusted ones to others), so the superuser makes each of the dump's extensions, in its schema, first;
 * - `COMMENT ON EXTENSION`: only the extension's owner may comment on it; left out;
 * - the schema an extension goes in, when it is not a built-in one: the superuser makes it, owned by
 *   the role apps bind with, as the load would have, so the extension has somewhere to go;
 * - `COMMENT ON SCHEMA public` (pg_dump before 9.6 writes it): only public's owner may; left out.
 * The extensions' own code is the server's (its extension folder), never the dump's.
 */
import { sqlIdent } from '../core/sql-quote.js';
import type { DumpToc } from './pg-dump-toc.js';

/** An extension a dump makes, and the schema it goes in. */
interface DumpExtension {
  name: string;
  schema: string;
}

export interface LoadPlan {
  /** Made by the superuser before the load. */
  extensions: DumpExtension[];
  /** The schemas the superuser makes for them, owned by the role apps bind with. */
  schemas: string[];
  /** The entries the role apps bind with restores (pg_restore -L), in the dump's order. */
  restore: number[];
  /**
   * The tables the load makes, "schema.table" (its TABLE entries: ordinary and partitioned tables). An
   * extension's own tables (PostGIS's spatial_ref_sys) are not among them: its script makes them.
   */
  tables: string[];
}

const IDENT = '[a-z_][a-z0-9_$]*|"(?:[^"]|"")+"';
/** How pg_dump writes an extension (its names quoted by fmtId where they need it). */
const CREATE_EXTENSION = new RegExp(`^CREATE EXTENSION IF NOT EXISTS (${IDENT}) WITH SCHEMA (${IDENT});\\s*$`);
const BUILT_IN_SCHEMAS = new Set(['public', 'pg_catalog']);

const unquote = (ident: string): string => (ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident);

/** The load's plan for a dump's table of contents; refuses an extension entry not written as pg_dump writes one. */
export function loadPlan(toc: DumpToc, file: string): LoadPlan {
  const extensions: DumpExtension[] = [];
  for (const e of toc.entries) {
    if (e.desc !== 'EXTENSION') continue;
    const m = CREATE_EXTENSION.exec(e.defn);
    if (!m)
      throw new Error(
        `${file}: entry ${e.id} (extension ${e.tag}) does not read as pg_dump writes one: ${JSON.stringify(e.defn.slice(0, 160))}`,
      );
    extensions.push({ name: unquote(m[1]!), schema: unquote(m[2]!) });
  }
  const schemas = [...new Set(extensions.map((x) => x.schema).filter((s) => !BUILT_IN_SCHEMAS.has(s)))];
  const superusers = (desc: string, namespace: string, tag: string): boolean =>
    desc === 'EXTENSION' ||
    (desc === 'COMMENT' && namespace === '' && (tag.startsWith('EXTENSION ') || tag === 'SCHEMA public')) ||
    (desc === 'SCHEMA' && schemas.includes(tag));
  const restored = toc.entries.filter((e) => !superusers(e.desc, e.namespace, e.tag));
  const tables = restored.filter((e) => e.desc === 'TABLE').map((e) => `${e.namespace}.${e.tag}`);
  return { extensions, schemas, restore: restored.map((e) => e.id), tables };
}

/** The superuser's statements of a plan: the schemas, owned by `owner` (who loads the rest), then the extensions. */
export function extensionStatements(plan: Pick<LoadPlan, 'extensions' | 'schemas'>, owner: string): string[] {
  return [
    ...plan.schemas.map((s) => `CREATE SCHEMA IF NOT EXISTS ${sqlIdent(s)} AUTHORIZATION ${sqlIdent(owner)};`),
    ...plan.extensions.map((x) => `CREATE EXTENSION IF NOT EXISTS ${sqlIdent(x.name)} WITH SCHEMA ${sqlIdent(x.schema)};`),
  ];
}

/** A pg_restore use-list (-L) of the entries `ids`: one dump id a line. */
export function useList(ids: readonly number[]): string {
  return ids.map((id) => `${id}\n`).join('');
}
