/** The flags that say how to reach the platform, shared by the runbook commands and the settings file. */
import type { Options } from 'yargs';
import { CLUSTERDATA_FLAG, LOG_FLAGS } from '../logs/evidence-flags.js';
import { s3FlagOptions } from './s3.js';
import { LOCAL_ENGINE_FLAG } from './engine.js';
import { NOTIFY_FORMATS } from '../run/notify-formats.js';
import { OPERATOR_FLAG } from '../run/operator-flag.js';

/**
 * How to reach the platform: what `recover` takes, and `resume` may change (each change is
 * journaled). One table, in the order `--help` lists them; RunFlags is read from it.
 */
export const CONNECTION_FLAGS = {
  // Which deleted instance, when the evidence does not settle it.
  'deleted-instance': {
    type: 'string',
    describe:
      'GUID of the deleted instance to restore, when the evidence does not settle it (like choose.deletedInstance in the answers file)',
  },
  // Where the evidence is: syslog files, Elasticsearch, the broker's clusterdata bucket.
  ...LOG_FLAGS,
  ...CLUSTERDATA_FLAG,
  // The cells over SSH, S3, and the platform's CLIs.
  'ssh-via': {
    choices: ['direct', 'bosh'],
    describe:
      "how to reach the cells: direct (your key, as --ssh-user) or bosh (`bosh ssh`'s temporary user; --gateway and --ssh-key are the director's gateway and its key, --gateway none goes direct)",
  },
  gateway: { type: 'string', describe: 'SSH jumpbox to reach the cells: user@host[:port]' },
  'ssh-user': { type: 'string', describe: 'user on the cells (default vcap)' },
  'ssh-key': { type: 'string', describe: 'private key file, offered alone (default: ssh-agent, then the identity files)' },
  'known-hosts': { type: 'string', describe: 'known_hosts file for the gateway and the cells' },
  'ssh-config': { type: 'string', describe: 'OpenSSH client config to honour (default ~/.ssh/config)' },
  ...s3FlagOptions,
  'wal-bucket': {
    type: 'string',
    describe: "the platform's WAL bucket (WAL_S3_BUCKET of its Dingo containers): an archive in any other bucket is refused",
  },
  'cf-bin': { type: 'string', describe: 'cf CLI to run (default cf)' },
  'bosh-bin': { type: 'string', describe: 'bosh CLI to run (default bosh)' },
  'docker-bin': { type: 'string', describe: "the cell's docker client" },
  'docker-host': { type: 'string', describe: "the cell's docker socket" },
  'scratch-docker-host': LOCAL_ENGINE_FLAG,
  'container-store-root': {
    type: 'string',
    describe: 'host folder of the container volumes; a flush never leaves it (default /var/vcap/store/cf-containers-broker/)',
  },
  // Pacing.
  concurrency: { type: 'number', describe: 'parallel S3 copies (default 32)' },
  'poll-interval': { type: 'number', describe: 'seconds between status polls' },
  'create-deadline': { type: 'number', describe: 'minutes to wait for cf create-service' },
  'restore-deadline': { type: 'number', describe: 'minutes to wait for the restore' },
} as const satisfies Record<string, Options>;

/** Who to tell how a run stands, and in which shape. */
export const NOTIFY_FLAG = {
  notify: {
    type: 'string',
    describe:
      'webhook URL told when the run starts, waits for the operator, fails or is done: a JSON POST (5 s timeout; a failure is a warning, never a stop)',
  },
  'notify-format': {
    type: 'string',
    choices: NOTIFY_FORMATS,
    describe:
      "the body --notify posts: slack ({text}, also Mattermost's), teams (an Adaptive Card, for Teams Workflows), discord ({content}, at most 2000 characters) or generic (a JSON document with event, runId, runbook, status, subject, timestamps, message and text)",
    defaultDescription:
      'from the host: hooks.slack.com slack; *.webhook.office.com, *.logic.azure.com, *.powerautomate.com teams; discord.com discord; else generic',
  },
} as const satisfies Record<string, Options>;

/**
 * The flags that give a choice of one run (`choose:` in the runbook), each with its answers-file key: never
 * a standing setting, so that a file left from the last incident cannot choose in the next one.
 */
export const CHOICE_FLAGS = { 'deleted-instance': 'choose.deletedInstance' } as const;

const { 'deleted-instance': _choice, ...SETTABLE } = CONNECTION_FLAGS;

/** What the settings file and the DINGO_RECOVER_<FLAG> variables may set. */
export const CONFIGURABLE_FLAGS = { ...SETTABLE, ...NOTIFY_FLAG, ...OPERATOR_FLAG } as const satisfies Record<string, Options>;
