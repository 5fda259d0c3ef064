/**
 * Reading a tenant's data without a superuser. Before any session of ours reads a table of a scratch
 * copy, our superuser session (which only reads catalogs and calls qualified system functions) makes
 * the copy safe to read, then every read runs as READER_ROLE: a login of ours that is no superuser,
 * creates nothing, bypasses row security (so no policy of the tenant's runs), reads through
 * pg_read_all_data (PostgreSQL 14+) or grants on each schema before that, and is a member of nothing
 * else: no pg_execute_server_program, pg_read_server_files or pg_write_server_files, no role that has
 * them. Its sessions are READ ONLY transactions with search_path forced to pg_catalog first.
 *
 * A SECURITY DEFINER function runs with its owner's powers whoever calls it, so every tenant role but
 * the bootstrap superuser (which PostgreSQL keeps a superuser) loses SUPERUSER and CREATEROLE in the
 * copy, and nobody keeps a membership in those three roles. Role attributes and memberships are not
 * part of what pg_dump writes of a database, so what a dump of the copy carries is unchanged.
 */
import type { Query } from './pg-query.js';
import { sqlIdent, sqlLiteral } from '../core/sql-quote.js';

export const READER_ROLE = 'dingo_recover_reader';

/** Roles whose members run programs or read and write the server's files (PostgreSQL 11+). */
const SERVER_ROLES = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'];

const READER = sqlIdent(READER_ROLE);

/** Revokes of every membership `where` selects (a join of pg_auth_members a, its role r and member m). */
async function revokeMemberships(query: Query, db: string, major: number, where: string): Promise<string[]> {
  const rows = await query(
    db,
    `select r.rolname, m.rolname, g.rolname from pg_catalog.pg_auth_members a
       join pg_catalog.pg_roles r on r.oid operator(pg_catalog.=) a.roleid
       join pg_catalog.pg_roles m on m.oid operator(pg_catalog.=) a.member
       left join pg_catalog.pg_roles g on g.oid operator(pg_catalog.=) a.grantor
      where ${where}`,
  );
  // From PostgreSQL 16 on, a membership is revoked only by naming who granted it.
  return rows.map(
    ([role = '', member = '', grantor = '']) =>
      `revoke ${sqlIdent(role)} from ${sqlIdent(member)}${major >= 16 && grantor ? ` granted by ${sqlIdent(grantor)}` : ''} cascade`,
  );
}

/**
 * Makes the copy safe to read as READER_ROLE; `query` is our superuser session and `db` a database
 * it connects to. Returns what was changed in the copy, for the operator.
 */
export async function prepareReading(query: Query, db: string, major: number): Promise<string[]> {
  const notes: string[] = [];
  const run = async (statements: string[], inDb = db): Promise<void> => {
    if (statements.length) await query(inDb, `${statements.join(';\n')};`);
  };
  const exists = await query(db, `select 1 from pg_catalog.pg_roles where rolname operator(pg_catalog.=) ${sqlLiteral(READER_ROLE)}`);
  if (!exists.length) await run([`create role ${READER}`]);
  // A role of that name the archive brought is made ours: its settings, in every database too, and its memberships go.
  const settingsIn = await query(
    db,
    `select d.datname from pg_catalog.pg_db_role_setting s join pg_catalog.pg_database d on d.oid operator(pg_catalog.=) s.setdatabase
      where s.setrole operator(pg_catalog.=) (select oid from pg_catalog.pg_roles where rolname operator(pg_catalog.=) ${sqlLiteral(READER_ROLE)})`,
  );
  await run([
    `alter role ${READER} login nosuperuser nocreatedb nocreaterole noreplication${major >= 9.5 ? ' bypassrls' : ''} connection limit -1 password null`,
    `alter role ${READER} reset all`,
    ...settingsIn.map(([d = '']) => `alter role ${READER} in database ${sqlIdent(d)} reset all`),
    ...(await revokeMemberships(query, db, major, `m.rolname operator(pg_catalog.=) ${sqlLiteral(READER_ROLE)}`)),
  ]);
  const strong = await query(
    db,
    `select rolname from pg_catalog.pg_roles where (rolsuper or rolcreaterole) and oid operator(pg_catalog.<>) 10
        and rolname operator(pg_catalog.<>) current_user and rolname operator(pg_catalog.<>) ${sqlLiteral(READER_ROLE)} order by 1`,
  );
  await run(strong.map(([role = '']) => `alter role ${sqlIdent(role)} nosuperuser nocreaterole`));
  if (strong.length) notes.push(`took SUPERUSER and CREATEROLE from ${strong.map((r) => r[0]).join(', ')} in the copy`);
  // A member of a superuser may SET ROLE to it, and so may any code of the tenant's its session runs.
  const fromSuperusers = await revokeMemberships(query, db, major, 'r.rolsuper');
  await run(fromSuperusers);
  if (fromSuperusers.length) notes.push(`revoked ${fromSuperusers.length} membership(s) in superuser roles in the copy`);
  if (major >= 11) {
    const revokes = await revokeMemberships(query, db, major, `r.rolname in (${SERVER_ROLES.map(sqlLiteral).join(', ')})`);
    await run(revokes);
    if (revokes.length) notes.push(`revoked ${revokes.length} membership(s) in ${SERVER_ROLES.join(', ')} in the copy`);
  }
  await run(await preloadResets(query, db));
  if (major >= 14) await run([`grant pg_read_all_data to ${READER}`]);
  const databases = await query(db, `select datname from pg_catalog.pg_database where datallowconn order by 1`);
  const closed = await query(
    db,
    `select datname from pg_catalog.pg_database where datallowconn and not pg_catalog.has_database_privilege(${sqlLiteral(READER_ROLE)}, oid, 'CONNECT')`,
  );
  await run(closed.map(([d = '']) => `grant connect on database ${sqlIdent(d)} to ${READER}`));
  if (major < 14) for (const [d = ''] of databases) if (d !== 'template1') await grantSchemas(query, d);
  const why = await powersOf(query, db, READER_ROLE);
  if (why) throw new Error(`the reader role ${READER_ROLE} of the copy still ${why}: no table is read`);
  return notes;
}

/**
 * The powers of `role` a session of a tenant's code must not have, in words ("is, or is a member of,
 * postgres"), or null when it has none: being a superuser, or a member, directly or through other
 * roles, of a superuser or of a role that runs programs or reads or writes the server's files.
 * pg_has_role follows every membership, which rolsuper alone does not.
 */
export async function powersOf(query: Query, db: string, role: string): Promise<string | null> {
  const [row] = await query(
    db,
    `select (select pg_catalog.string_agg(s.rolname::pg_catalog.text, ', ' order by s.rolname) from pg_catalog.pg_roles s
        where (s.rolsuper or s.rolname in (${SERVER_ROLES.map(sqlLiteral).join(', ')})) and pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER'))
       from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) ${sqlLiteral(role)}`,
  );
  return row?.[0] ? `is, or is a member of, ${row[0]}` : null;
}

/**
 * Library settings of a database, or of every role, that a session of READER_ROLE would load at
 * connection and, being no superuser, could not switch off on its command line.
 */
async function preloadResets(query: Query, db: string): Promise<string[]> {
  const rows = await query(
    db,
    `select coalesce(d.datname, ''), c from pg_catalog.pg_db_role_setting s
       left join pg_catalog.pg_database d on d.oid operator(pg_catalog.=) s.setdatabase,
       pg_catalog.unnest(s.setconfig) c
      where s.setrole operator(pg_catalog.=) 0 and c ~ '^(session|local)_preload_libraries='`,
  );
  return rows.map(([d = '', setting = '']) => {
    const name = setting.slice(0, setting.indexOf('='));
    return d ? `alter database ${sqlIdent(d)} reset ${name}` : `alter role all reset ${name}`;
  });
}

/**
 * Before PostgreSQL 14 (no pg_read_all_data): USAGE on each schema and SELECT on its tables and
 * sequences, granted with the database's event triggers switched off and back as they were, so none
 * of the tenant's runs as our superuser. These grants stay in the copy (a dump of it names the role).
 */
async function grantSchemas(query: Query, db: string): Promise<void> {
  const triggers = await query(
    db,
    `select evtname, evtenabled from pg_catalog.pg_event_trigger where evtenabled operator(pg_catalog.<>) 'D'`,
  );
  const schemas = await query(
    db,
    `select nspname from pg_catalog.pg_namespace where nspname !~ '^pg_' and nspname operator(pg_catalog.<>) 'information_schema'`,
  );
  if (!schemas.length) return;
  const again: Record<string, string> = { O: 'enable', R: 'enable replica', A: 'enable always' };
  const statements = [
    ...triggers.map(([name = '']) => `alter event trigger ${sqlIdent(name)} disable`),
    ...schemas.flatMap(([s = '']) => [
      `grant usage on schema ${sqlIdent(s)} to ${READER}`,
      `grant select on all tables in schema ${sqlIdent(s)} to ${READER}`,
      `grant select on all sequences in schema ${sqlIdent(s)} to ${READER}`,
    ]),
    ...triggers.map(([name = '', state = 'O']) => `alter event trigger ${sqlIdent(name)} ${again[state] ?? 'enable'}`),
  ];
  await query(db, `${statements.join(';\n')};`);
}

/**
 * For a query of the operator's in a throwaway copy (the drill's), which may reach the tenant's views
 * and tables with inheritance children: the functions of `db` owned by a superuser that would run
 * with their owner's powers (SECURITY DEFINER) run with their caller's instead (only the bootstrap
 * superuser, which PostgreSQL keeps so, and we are superusers by then); C functions whose library is
 * not one of this machine's ($libdir) may be called by no one but the bootstrap superuser (an ACL
 * that names no other role), so no library the copy brought is
 * loaded; and no foreign-data wrapper has a handler, so no foreign table is read (file_fdw's could run
 * a program). How many catalog rows changed.
 */
export async function disarmForQuery(query: Query, db: string): Promise<number> {
  const theirs = `pronamespace not in (select oid from pg_catalog.pg_namespace where nspname in ('pg_catalog', 'information_schema'))`;
  const rows = await query(
    db,
    `with definers as (update pg_catalog.pg_proc set prosecdef = false
       where prosecdef and proowner in (select oid from pg_catalog.pg_roles where rolsuper) and ${theirs}
       returning 1),
     libraries as (update pg_catalog.pg_proc set proacl = pg_catalog.array_append(null::pg_catalog.aclitem[], pg_catalog.makeaclitem(10, 10, 'EXECUTE', false))
       where prolang in (select oid from pg_catalog.pg_language where lanname operator(pg_catalog.=) 'c')
         and probin !~ '^\\$libdir/' and ${theirs}
       returning 1),
     wrappers as (update pg_catalog.pg_foreign_data_wrapper set fdwhandler = 0 where fdwhandler operator(pg_catalog.<>) 0 returning 1)
     select (select pg_catalog.count(*) from definers) operator(pg_catalog.+) (select pg_catalog.count(*) from libraries)
       operator(pg_catalog.+) (select pg_catalog.count(*) from wrappers)`,
  );
  return Number(rows[0]?.[0] ?? 0);
}

/**
 * Why `role` may not read a copy paused at its target, or null when it may. At a pause (a hot standby)
 * no role can be made or changed, so a table is read as its owner, a role of the copy's own, and
 * only when that role logs in, is no superuser and is a member, directly or through other roles,
 * neither of a superuser nor of a role that runs programs or reads or writes the server's files
 * (pg_has_role, which follows every membership): the tenant's code its reading runs (an index
 * expression the planner folds, a type's output) then has the tenant's own powers, never ours.
 */
export async function pauseReaderRefused(query: Query, db: string, role: string): Promise<string | null> {
  const [row] = await query(db, `select rolcanlogin from pg_catalog.pg_roles where rolname operator(pg_catalog.=) ${sqlLiteral(role)}`);
  if (!row) return `its owner ${role} is not a role of the copy`;
  if (row[0] !== 't') return `its owner ${role} cannot log in`;
  const why = await powersOf(query, db, role);
  return why ? `its owner ${role} ${why}: reading as it would give the tenant's code those powers` : null;
}
