/**
 * This machine's programs and Docker Engines, which a run uses live or rehearsed alike: a rehearsal
 * takes them from here without loading the live platform's clients (S3, SSH, Elasticsearch).
 */
import type { Platform } from '../../core/seams.js';
import { dockerEngine } from '../../systems/docker-engine.js';
import { localProcesses } from '../../systems/local-processes.js';

export const localMachine: Pick<Platform, 'processes' | 'dockerEngine'> = {
  processes: localProcesses,
  dockerEngine: (host) => dockerEngine(host),
};
