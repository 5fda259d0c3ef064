/**
 * The Docker Engine on this machine, one flag definition for every command that starts a scratch
 * PostgreSQL (volumes, drill, the restore-to-time runbook): its `postgres:<major>` image runs the
 * server when that major is not installed here. Nothing is pulled.
 */
import type { Options } from 'yargs';

export const LOCAL_ENGINE_FLAG = {
  type: 'string',
  describe:
    "the Docker Engine socket on this machine (unix://PATH): its postgres:<major> image (never pulled) runs the scratch server when PostgreSQL <major> isn't installed here",
} as const satisfies Options;
