/**
 * A scratch PostgreSQL on data someone else wrote, from its start to its end: the account it runs as
 * (identity.ts), the sandbox it and its clients run in (sandbox.ts, sandbox-script.ts, sandbox-folders.ts), its process
 * (postmaster.ts, local binaries or the `postgres:<major>` image), its clients (psql.ts, psql-sessions.ts), a fresh
 * cluster copied from a template (template.ts), and the one life every use shares (scratch.ts).
 */
export { openSandbox, SANDBOX_SOCKET_DIR } from './sandbox.js';
export { openScratch, SCRATCH_PORT, waitAccepting, type Scratch } from './scratch.js';
export type { PidFile, Postmaster, ServerRun } from './postmaster.js';
export { accepts, connArgs, psqlLines, psqlRows, type Endpoint } from './psql.js';
export { freshCluster } from './template.js';
