/** Vitest's global setup: the pinned PostgreSQL majors of pg-majors.ts installed into their cache once, before any test file. */
import { installPgMajors } from './pg-majors.js';
import { oncePerRun } from './once-per-run.js';

function setup(): undefined {
  installPgMajors((line) => {
    process.stderr.write(`${line}\n`);
  });
}

export default oncePerRun('pg-majors', setup);
