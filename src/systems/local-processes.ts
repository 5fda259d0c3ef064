/** This machine's programs, behind the seam the drill and a run are given: processes.ts's, and the scratch server's sandbox. */
import type { LocalProcesses } from '../core/seams.js';
import { pipeThrough, run, runOk } from './processes.js';
import { openSandbox } from './postgres/index.js';

export const localProcesses: LocalProcesses = { run, runOk, pipeThrough, scratchSandbox: openSandbox };
