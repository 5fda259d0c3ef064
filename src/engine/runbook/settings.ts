/**
 * Knobs of a run that are not the user's answers: where the tools are, how long to
 * wait, which systems to reach. Defaults come from the Dingo notes; flags override them.
 * They are journaled with the run (minus secrets), so a resume uses the same ones.
 */
import { LOGSEARCH_INDEX } from '../../core/log-source.js';

export interface Settings {
  /** cf service offering used to recreate the service (`cf marketplace` shows it). */
  offering: string;
  /** Plan for the recreated instance: a single node, so there is one container to stop. */
  soloPlan: string;
  cfBinary: string;
  boshBinary: string;
  dockerBinary: string;
  dockerHost: string;
  /** Host folder under which cf-containers-broker keeps container data; a flush never leaves it. */
  containerStoreRoot: string;
  logPaths: string[];
  /** Elasticsearch / Logsearch to search besides (or instead of) files; credentials come from the environment. */
  esUrl?: string;
  esIndex: string;
  esCaFile?: string;
  /** The broker's clusterdata backup bucket, s3://BUCKET[/PREFIX]: names instances and holds their credentials. */
  clusterdata?: string;
  /** Poll interval and deadline while cf creates the service. */
  createPollMs: number;
  createDeadlineMs: number;
  /** Poll interval and deadline while PostgreSQL replays the archive. */
  restorePollMs: number;
  restoreDeadlineMs: number;
  copyConcurrency: number;
  /** The platform's WAL bucket (--wal-bucket): archives live at s3://BUCKET/backups/GUID/wal/ and nowhere else. */
  walBucket?: string;
  /** The deleted instance the operator chose (--deleted-instance), when the evidence does not settle it. */
  deletedInstance?: string;
  /** The Docker Engine on this machine (--scratch-docker-host) whose postgres:<major> image runs a scratch server when that major is not installed here. */
  scratchDockerHost?: string;
}

export const DEFAULT_SETTINGS: Settings = {
  offering: 'dingo-postgresql',
  soloPlan: 'solo',
  cfBinary: 'cf',
  boshBinary: 'bosh',
  dockerBinary: '/var/vcap/packages/docker/bin/docker',
  dockerHost: 'unix:///var/vcap/sys/run/docker/docker.sock',
  containerStoreRoot: '/var/vcap/store/cf-containers-broker/',
  logPaths: [],
  esIndex: LOGSEARCH_INDEX,
  createPollMs: 10_000,
  createDeadlineMs: 20 * 60_000,
  restorePollMs: 10_000,
  restoreDeadlineMs: 60 * 60_000,
  copyConcurrency: 32,
};

/**
 * The choices a setting gives from the command line (`choose:` in the runbook): the choice's key →
 * the setting that holds it and the flag that gives it. One value has one source: a run refuses a
 * flag that disagrees with the answers file's `choose.KEY` or with what the journal decided.
 */
export const CHOICE_SETTINGS = {
  deletedInstance: { setting: 'deletedInstance', flag: '--deleted-instance' },
} as const satisfies Record<string, { setting: keyof Settings; flag: string }>;

/**
 * How the live systems are reached (journaled with the run: they hold no secrets, since keys stay in
 * files, the agent or the environment), so a resume reaches the same systems.
 */
export interface LiveOptions {
  s3?: { endpoint?: string; region?: string; pathStyle?: boolean; timeoutMs?: number };
  ssh?: {
    /** How the cells are reached: ssh2 with the operator's key (default), or the era's `bosh ssh`. */
    via?: 'direct' | 'bosh';
    /** With `via: bosh`, the bosh CLI that opens each session. */
    boshBinary?: string;
    gateway?: string;
    user?: string;
    identityFile?: string;
    knownHostsFile?: string;
    sshConfigFile?: string;
  };
}

/** The settings that are text, and those that are counts (milliseconds, how many at once). */
const TEXT_SETTINGS = [
  'offering',
  'soloPlan',
  'cfBinary',
  'boshBinary',
  'dockerBinary',
  'dockerHost',
  'containerStoreRoot',
  'esUrl',
  'esIndex',
  'esCaFile',
  'clusterdata',
  'deletedInstance',
  'walBucket',
  'scratchDockerHost',
] as const;
const COUNT_SETTINGS = ['createPollMs', 'createDeadlineMs', 'restorePollMs', 'restoreDeadlineMs', 'copyConcurrency'] as const;

/** The settings a journal holds (the created ones with every change applied) over the defaults, each of its kind. */
export function journaledSettings(r: Record<string, unknown>): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS };
  for (const key of TEXT_SETTINGS) {
    const v = r[key];
    if (typeof v === 'string') settings[key] = v;
  }
  for (const key of COUNT_SETTINGS) {
    const v = r[key];
    if (typeof v === 'number') settings[key] = v;
  }
  const paths = r.logPaths;
  if (Array.isArray(paths) && paths.every((p): p is string => typeof p === 'string')) settings.logPaths = paths;
  return settings;
}
