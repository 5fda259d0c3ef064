/** Vitest's global setup: the pinned PostgreSQL majors of pg-majors.ts installed into their cache once, before any test file. */
import { installPgMajors } from './pg-majors.js';

export default function setup(): void {
  installPgMajors((line) => {
    process.stderr.write(`${line}\n`);
  });
}
