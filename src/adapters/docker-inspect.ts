/** `docker inspect` output (API v1.23, Docker 1.11) → what the recovery needs of a container. */
import { StepFailed } from '../core/errors.js';
import { maskSecretFields, type Redactor } from '../core/redact.js';
import { isRecord } from '../core/json.js';
import { oneLine } from '../core/display.js';

interface ContainerState {
  running: boolean;
  /** Docker is about to start it again under its restart policy (it exited). */
  restarting: boolean;
  status: string;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  pid: number;
}

interface ContainerMount {
  name?: string;
  source: string;
  destination: string;
  mode: string;
  rw: boolean;
}

export interface ContainerInfo {
  id: string;
  /** Without the leading slash Docker puts there. */
  name: string;
  /** The image as the container was created from (Config.Image). */
  image: string;
  state: ContainerState;
  /** Config.Env as a record (a later duplicate wins, as in a shell). */
  env: Record<string, string>;
  /** Config.Env as Docker lists it. */
  envList: string[];
  mounts: ContainerMount[];
  /** Host folder mounted at /data (the patroni data directory), if any. */
  dataDir: string | null;
  /** HostConfig.LogConfig.Type: `json-file` (Docker's default), `syslog` (Dingo's tile), …; null when not said. */
  logDriver: string | null;
  /** Times Docker restarted it under its restart policy since it was last started by hand. */
  restartCount: number;
}

interface RawInspect {
  Id?: string;
  Name?: string;
  Image?: string;
  State?: {
    Running?: boolean;
    Restarting?: boolean;
    Status?: string;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    Pid?: number;
  };
  RestartCount?: number;
  HostConfig?: { LogConfig?: { Type?: string } };
  Config?: { Env?: string[] | null; Image?: string };
  Mounts?: { Name?: string; Source?: string; Destination?: string; Mode?: string; RW?: boolean }[] | null;
}

export function envRecord(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list) {
    const i = entry.indexOf('=');
    if (i < 0) env[entry] = '';
    else env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

/** Parses the JSON array (registering secret env values with `redactor` at once); null when it is empty. */
export function parseInspect(stdout: string, name: string, where: string, redactor: Redactor): ContainerInfo | null {
  return parseInspectAll(stdout, name, where, redactor)[0] ?? null;
}

/** Every container of the JSON array `docker inspect A B …` prints, in its order (`what`: the names asked, for messages). */
export function parseInspectAll(stdout: string, what: string, where: string, redactor: Redactor): ContainerInfo[] {
  let parsed: unknown;
  const surprise = (said: string): StepFailed =>
    new StepFailed(`docker inspect ${what} on ${where} printed ${said}: ${shown(redactor.redact(stdout))}`, {
      hint: "nothing was decided on it: run the same docker inspect on the cell by hand and check the client is the cell's own (Docker 1.11)",
    });
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw surprise('something that is not JSON');
  }
  if (!Array.isArray(parsed) || !parsed.every(isRecord)) throw surprise('JSON that is not the list of containers Docker answers');
  // Whether it runs and what it is are decided on these: a container without them is no answer of Docker's.
  const odd = parsed.find((raw) => {
    const state: unknown = raw.State;
    return typeof raw.Id !== 'string' || !isRecord(state) || typeof state.Running !== 'boolean';
  });
  if (odd) throw surprise('a container without the Id and State.Running Docker gives');
  return parsed.map((raw) => containerOf(raw as RawInspect, what, redactor));
}

/**
 * Output shown in a message: one line, control characters escaped, bounded, and the values of
 * secret-named fields and environment entries masked (a cut-off inspect still holds the environment).
 */
function shown(text: string): string {
  const line = oneLine(maskSecretFields(text.trim()));
  return line.length > 300 ? `${line.slice(0, 300)}… (${text.length} characters)` : line || '(nothing)';
}

function containerOf(raw: RawInspect, name: string, redactor: Redactor): ContainerInfo {
  const envList = raw.Config?.Env ?? [];
  // The environment holds the instance's AWS keys and database passwords.
  redactor.registerEnv(envList);
  const mounts = (raw.Mounts ?? []).map((m) => ({
    ...(m.Name ? { name: m.Name } : {}),
    source: m.Source ?? '',
    destination: m.Destination ?? '',
    mode: m.Mode ?? '',
    rw: m.RW ?? true,
  }));
  const s = raw.State ?? {};
  return {
    id: raw.Id ?? '',
    name: (raw.Name ?? name).replace(/^\//, ''),
    image: raw.Config?.Image ?? raw.Image ?? '',
    state: {
      running: s.Running ?? false,
      restarting: s.Restarting ?? false,
      status: s.Status ?? (s.Running ? 'running' : 'exited'),
      exitCode: s.ExitCode ?? 0,
      startedAt: s.StartedAt ?? '',
      finishedAt: s.FinishedAt ?? '',
      pid: s.Pid ?? 0,
    },
    env: envRecord(envList),
    envList,
    mounts,
    dataDir: mounts.find((m) => m.destination === '/data')?.source ?? null,
    logDriver: typeof raw.HostConfig?.LogConfig?.Type === 'string' ? raw.HostConfig.LogConfig.Type : null,
    restartCount: typeof raw.RestartCount === 'number' ? raw.RestartCount : 0,
  };
}
