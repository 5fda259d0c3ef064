/**
 * The bundled bad-write scenario's story (fixtures/bad-write), written once: what the live
 * important-db held, the bad write and what was written after it. The archive is generated from it
 * (make-bad-write-fixture.ts) and the rehearsal's live database is seeded from the same statements
 * (the fixture's live.sql), so the live rows are exactly those the archive ends with.
 */

/** The role apps bind with, which owns the tenant's table, as the broker names it. */
export const APP_ROLE = 'appuser';

/** Before the base backup: the orders, 120 of them placed three minutes apart from 09:03. */
export const BEFORE = [
  `create role ${APP_ROLE} login`,
  `create table orders (id int primary key, customer text not null, total numeric(10,2) not null, placed_at timestamptz not null, status text not null default 'open')`,
  `alter table orders owner to ${APP_ROLE}`,
  `insert into orders select g, 'customer ' || g, g * 1.5, timestamptz '2016-03-17 09:00:00+00' + g * interval '3 minutes', case when g % 4 = 0 then 'shipped' else 'open' end from generate_series(1, 120) g`,
];

/** After the base backup, each in a transaction of its own; the second is the bad write. */
export const AFTER = [
  // An order placed before the incident: only WAL replay brings it back.
  `insert into orders values (121, 'customer 121', 44.00, '2016-03-17 14:00:30+00', 'open')`,
  // The bad write: a clean-up meant for test orders takes every order placed before noon, and zeroes five totals.
  `with gone as (delete from orders where placed_at < '2016-03-17 12:00:00+00' returning id) update orders set total = 0 where id between 60 and 64`,
  // Written since, which the merge leaves as they are: a new order, and order 101 shipped (a row changed since by another transaction: a conflict).
  `insert into orders values (122, 'customer 122', 12.50, '2016-03-17 14:05:00+00', 'open')`,
  `update orders set status = 'shipped' where id = 101`,
];

/** Which of AFTER is the bad write. */
export const BAD_WRITE = 1;
