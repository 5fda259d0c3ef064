/** What a live case is made of (./platform.ts builds it) and the options it is built with. */
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { SimContainer } from '../../../src/rehearsal/cell-sim.js';
import type { EsHttp } from '../es-http.js';
import type { NewInstance } from './case-instances.js';
import type { CommandHold, LiveCellWorld } from './cell-docker.js';
import type { OldInstance } from './shared.js';

/** Every secret the platform holds for one case: none may reach the run folder. */
export interface CaseSecrets {
  containerAwsKeyId: string;
  containerAwsSecret: string;
  operatorAwsSecret: string;
  /** Every new instance's passwords and every deleted instance's. */
  passwords: string[];
  /** A line from the middle of each private key the run uses. */
  privateKeyLines: string[];
  /** The Elasticsearch API key (ES_API_KEY) when the case searches Elasticsearch. */
  esApiKey?: string;
  /** Others the case's platform holds (case option otherSecrets), e.g. a live instance's container environment. */
  others?: string[];
}

/**
 * One recovery's world. The fields of NewInstance are the FIRST new instance's (the only one of
 * a single-instance case); `instances` has them all, in the order cf hands their GUIDs out.
 */
export interface LiveCase {
  /** The case's own temporary folder (removed by cleanup). */
  dir: string;
  newGuid: string;
  nodeUuid: string;
  container: string;
  /** The container's /data on the cell (this machine's filesystem). */
  dataDir: string;
  newPasswords: Record<string, string>;
  /** Every new instance the broker creates when cf hands out its GUID. */
  instances: NewInstance[];
  /** The deleted instances whose archives (and syslog) the platform has. */
  deleted: OldInstance[];
  stateDir: string;
  secrets: CaseSecrets;
  /** `recover` arguments after the command name, without --state-dir. */
  liveArgs: string[];
  /**
   * The platform's options only (logs or Elasticsearch, SSH config, S3, cf/bosh/docker binaries,
   * docker host, store root, poll interval): for a command other than `recover`.
   */
  platformArgs: string[];
  /** The user's answers file (--answers). */
  answersFile: string;
  /** Environment for every dingo-recover child process of this case. */
  env: Record<string, string>;
  /** The operator's cf config (CF_HOME of `env`), which a run must leave as it is. */
  cfConfig: string;
  /** The cell's docker daemon (--docker-host), for running the fake docker client directly. */
  dockerHost: string;
  readCf(): Promise<CfWorld>;
  readCell(): LiveCellWorld;
  /** etcd v2 GET: the value, or null when the key does not exist. */
  etcdGet(key: string): Promise<string | null>;
  /** The Elasticsearch the logs are in (case option logsIn: 'elasticsearch'), with what it served. */
  es?: EsHttp;
  cleanup(): Promise<void>;
}

export interface CaseOptions {
  /**
   * The seed incident's deleted instance has its clusterdata record in the bucket, given with
   * --clusterdata, and the restored cluster trusts no local login: only its recorded superuser gets in.
   */
  clusterdata?: boolean;
  /**
   * Where the run finds the platform's logs: the syslog folder given with --logs (the default),
   * or an Elasticsearch holding the same lines (--es-url, --es-index logs-platform-*, ES_API_KEY).
   */
  logsIn?: 'files' | 'elasticsearch';
  /**
   * The S3 endpoint the run is given (default moto's), e.g. a fault proxy in front of moto.
   * The broker and the containers still reach moto itself.
   */
  s3Endpoint?: string;
  /** The port the run reaches the jumpbox's sshd at (default its own), e.g. a TCP proxy in front of it. */
  jumpboxPort?: number;
  /** Docker commands the cell holds once each (see ./cell-docker.ts). */
  holds?: CommandHold[];
  /**
   * The deleted instances (default [SEED_DELETED]): their archives go to moto, the cell knows what
   * restoring each holds (its sysid and roles), and the syslog gets the lines of each but the seed's.
   */
  deleted?: OldInstance[];
  /** How many instances the broker creates during the run (default one per deleted instance). */
  newInstances?: number;
  /** The fake cf's starting world, from the seed incident's (e.g. the space deleted, audit events). */
  cfWorld?: (seed: CfWorld) => CfWorld;
  /** The user's answers file (YAML; default SEED_ANSWERS). */
  answers?: string;
  /** The new containers' tenant logs a line naming this bucket as their archive's (see BrokerConfig). */
  forgedBucket?: string;
  /** The forged line is the only one naming an archive that the logs show (see BrokerConfig). */
  forgedOnly?: boolean;
  /** WAL_S3_BUCKET of the new containers (default BUCKET, where the deleted instances' archives are). */
  containerWalBucket?: string;
  /** Containers the cell runs before the run (e.g. a live instance's), beside registrator and those the broker creates. */
  containers?: SimContainer[];
  /** registrator's container on the cell has exited (default: it runs, as on every Dingo cell). */
  registratorDown?: boolean;
  /** Secrets the case's platform holds beyond those it makes (e.g. those of `containers`): none may reach the run folder. */
  otherSecrets?: string[];
  /**
   * The Dingo release of the platform's deployment (default the seed's, 0.7.2: the 2016 broker, one
   * node whatever it is asked). From 0.9 the broker makes two nodes unless asked for one, which on
   * this platform's one cell it refuses.
   */
  dingoRelease?: string;
  /** psql and pg_restore exec'd in a container run against a REAL PostgreSQL 15 of its own (./cell-postgres.ts). */
  realPostgres?: boolean;
}
