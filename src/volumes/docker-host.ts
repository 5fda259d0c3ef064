/**
 * Which Docker Engine the volumes are asked of, and why: the one given (`--docker-host`, the
 * runbook's dockerHost), else DOCKER_HOST as the docker CLI takes it, else the default socket. Only a
 * unix socket on this host: the volumes' files are read here.
 */
import { UsageError } from '../core/errors.js';
import { oneLine } from '../core/display.js';
import type { DockerEngine } from '../core/seams.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface DockerHostChoice {
  host: string;
  /** Where it came from, for the output: the flag's name, DOCKER_HOST, or the default. */
  from: string;
}

/** The Engine to ask: `given` (named `flag`), else DOCKER_HOST, else the default; a remote DOCKER_HOST is refused naming it. */
export function dockerHostOf(given: string | undefined, env: NodeJS.ProcessEnv, flag = '--docker-host'): DockerHostChoice {
  if (given) return { host: given, from: flag };
  const fromEnv = env.DOCKER_HOST;
  if (!fromEnv) return { host: DEFAULT_DOCKER_HOST, from: 'the default' };
  if (!fromEnv.startsWith('unix://'))
    throw new UsageError(
      `DOCKER_HOST is "${oneLine(fromEnv)}": only an Engine on this host, through its unix socket (unix://PATH), is supported, not a tcp:// or ssh:// one: the volumes' files are read where the Engine keeps them`,
      {
        hint: `run this on the Docker host itself, with DOCKER_HOST unset or a unix:// socket (or give ${flag} unix:///var/run/docker.sock)`,
      },
    );
  return { host: fromEnv, from: 'DOCKER_HOST' };
}

/** The engine, its `where` saying why it was asked. */
export function askedEngine(engine: DockerEngine, choice: DockerHostChoice): DockerEngine {
  return Object.create(engine, { where: { value: `${engine.where} (from ${choice.from})`, enumerable: true } }) as DockerEngine;
}
