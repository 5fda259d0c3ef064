/**
 * Reading a dump's table of contents, which every load into a service and every restore check does
 * before pg_restore starts, beside `pg_restore -l` listing the same file: a real `pg_dump -Fc` of a
 * database of DUMP_TOC_BENCH_TABLES tables (2,000 by default), each with a primary key, an index, a
 * comment and a row, so four to five entries a table. Best of five of each, in the same run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readDumpToc } from '../src/adapters/pg-dump-toc.js';
import { loadPlan } from '../src/adapters/pg-load-plan.js';
import { makeDump, PG_BIN } from '../test/support/pg-volumes.js';

const TABLES = Math.max(100, Number(process.env.DUMP_TOC_BENCH_TABLES) || 2_000);
const RUNS = 5;

function best(run: () => void): number {
  let least = Infinity;
  for (let k = 0; k < RUNS; k++) {
    const start = performance.now();
    run();
    least = Math.min(least, performance.now() - start);
  }
  return least;
}

export async function benchDumpToc(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'bench-dump-toc-'));
  chmodSync(work, 0o755);
  try {
    const sql = `DO $$ BEGIN FOR k IN 1..${TABLES} LOOP
      EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text); CREATE INDEX ON public.t%s (v);
        COMMENT ON TABLE public.t%s IS %L; INSERT INTO public.t%s VALUES (1, %L)', k, k, k, 'table ' || k, k, 'row ' || k);
    END LOOP; END $$;`;
    const { file } = await makeDump(work, 'many', sql);
    let entries = 0;
    const ours = best(() => {
      const toc = readDumpToc(file);
      entries = toc.entries.length;
      loadPlan(toc, file);
    });
    const reference = best(() => {
      const r = spawnSync(join(PG_BIN, 'pg_restore'), ['-l', file], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error(`pg_restore -l exited ${String(r.status)}`);
    });
    return `dump-toc entries=${entries} ours=${ours.toFixed(1)}ms (read and plan, in process) pg_restore-l=${reference.toFixed(1)}ms (listing, a process) ratio=${(ours / reference).toFixed(2)}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
