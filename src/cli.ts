/**
 * The command line. Commands are thin: they parse flags and hand over to the
 * engine or a domain module. Exit codes are decided in one place (errors.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { DingoError, EXIT, UsageError, exitCodeOf } from './core/errors.js';
import type { ActionRegistry } from './engine/runbook.js';
import { secrets } from './core/redact.js';
import { parseClusterdataUrl } from './logs/clusterdata.js';
import { stripUrlCredentials, type StrippedUrl } from './core/url-secrets.js';
import type { Settings } from './engine/settings.js';
import type { LiveOptions } from './engine/settings.js';
import { extraCommands } from './commands/index.js';

/**
 * Every action a runbook can name. Loaded when a command needs it: the actions pull in the S3,
 * Elasticsearch and SSH clients, which `--help` and `--version` must not wait for.
 */
async function actionRegistry(): Promise<ActionRegistry> {
  return (await import('./actions/index.js')).actionRegistry();
}

/** The folder holding package.json, runbooks/ and fixtures/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dingo-recover') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the dingo-recover package folder');
    dir = up;
  }
}

/** The bundled runbook, by name: found in the package whatever the working folder. */
export const DEFAULT_RUNBOOK = 'recover-deleted-service';
export const DEFAULT_SCENARIO = 'fixtures/seed-003';

/** A runbook given by path, or by name from the bundled runbooks/. */
function runbookPath(nameOrFile: string): string {
  if (existsSync(nameOrFile)) return resolve(nameOrFile);
  const bundled = join(packageRoot(), 'runbooks', nameOrFile.endsWith('.yaml') ? nameOrFile : `${nameOrFile}.yaml`);
  if (existsSync(bundled)) return bundled;
  throw new UsageError(`no runbook "${nameOrFile}" (neither a file nor a bundled runbook)`, {
    hint: `bundled runbooks are in ${join(packageRoot(), 'runbooks')}`,
  });
}

/**
 * The state folder, the same from any working folder so `resume` finds the run: the XDG base
 * directory convention, overridable by DINGO_RECOVER_STATE_DIR (and --state-dir).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DINGO_RECOVER_STATE_DIR) return resolve(env.DINGO_RECOVER_STATE_DIR);
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'dingo-recover');
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

interface Global {
  'state-dir': string;
  yes: boolean;
  answers?: string;
  json: boolean;
  verbose: boolean;
}

function globalOptions(y: Argv): Argv<Global> {
  return y
    .option('state-dir', {
      type: 'string',
      default: defaultStateDir(),
      defaultDescription: '$DINGO_RECOVER_STATE_DIR, else $XDG_STATE_HOME/dingo-recover (~/.local/state/dingo-recover)',
      describe: 'where runs (journals, locks) are kept',
      global: true,
    })
    .option('yes', { type: 'boolean', default: false, describe: 'accept every confirmation (destructive steps included)', global: true })
    .option('answers', {
      type: 'string',
      describe: 'YAML/JSON file answering every prompt: {inputs, confirm, choose, secrets}',
      global: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'print data as JSON where a command prints data', global: true })
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: 'show every command, its output, API calls, evidence and notes as a run goes (the journal and `show` always keep them)',
      global: true,
    }) as Argv<Global>;
}

function settingsFrom(argv: Record<string, unknown>): Partial<Settings> {
  const s: Partial<Settings> = {};
  if (argv.logs) s.logPaths = (argv.logs as string[]).map((p) => (p === '-' ? p : resolve(p)));
  if (argv['cf-bin']) s.cfBinary = String(argv['cf-bin']);
  if (argv['bosh-bin']) s.boshBinary = String(argv['bosh-bin']);
  if (argv['docker-bin']) s.dockerBinary = String(argv['docker-bin']);
  if (argv['docker-host']) s.dockerHost = String(argv['docker-host']);
  if (argv['container-store-root']) s.containerStoreRoot = String(argv['container-store-root']).replace(/\/?$/, '/');
  if (argv['es-url']) {
    // Credentials in the URL are kept in this process's environment (as ES_USERNAME/ES_PASSWORD would
    // give them), never in the journal: a resume needs them given again.
    const es = urlFlag('--es-url', argv['es-url']);
    s.esUrl = es.url;
    if (es.credentials?.password) {
      process.env.ES_USERNAME = es.credentials.username ?? '';
      process.env.ES_PASSWORD = es.credentials.password;
    } else if (es.credentials?.username) {
      process.env.ES_API_KEY = es.credentials.username;
    }
  }
  if (argv['es-index']) s.esIndex = String(argv['es-index']);
  if (argv['es-ca-file']) s.esCaFile = resolve(String(argv['es-ca-file']));
  if (argv.clusterdata) {
    argv.clusterdata = urlFlag('--clusterdata', argv.clusterdata).url;
    if (!parseClusterdataUrl(String(argv.clusterdata))) {
      throw new UsageError(`--clusterdata ${JSON.stringify(argv.clusterdata)} is not an s3:// URL`, {
        hint: "give the broker's clusterdata bucket, e.g. --clusterdata s3://dingo-clusterdata",
      });
    }
    s.clusterdata = String(argv.clusterdata);
  }
  if (argv.concurrency) s.copyConcurrency = Number(argv.concurrency);
  if (argv['poll-interval']) s.createPollMs = s.restorePollMs = Number(argv['poll-interval']) * 1000;
  if (argv['create-deadline']) s.createDeadlineMs = Number(argv['create-deadline']) * 60_000;
  if (argv['restore-deadline']) s.restoreDeadlineMs = Number(argv['restore-deadline']) * 60_000;
  if (argv['deleted-instance'] !== undefined) {
    const guid = String(argv['deleted-instance']).trim().toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(guid)) {
      throw new UsageError(`--deleted-instance ${JSON.stringify(argv['deleted-instance'])} is not a service instance GUID`, {
        hint: 'give the whole GUID of one of the candidates the run listed',
      });
    }
    s.deletedInstance = guid;
  }
  return s;
}

/**
 * A URL flag's value without credentials: they are registered as secrets at once (so nothing prints
 * or journals them) and taken out of what is journaled; the operator is told what was taken out.
 */
function urlFlag(flag: string, value: unknown): StrippedUrl {
  const stripped = stripUrlCredentials(flag, String(value));
  if (stripped.notice) process.stderr.write(`dingo-recover: ${stripped.notice}\n`);
  return stripped;
}

function liveFrom(argv: Record<string, unknown>): LiveOptions {
  return {
    s3: {
      endpoint: argv['s3-endpoint'] === undefined ? undefined : urlFlag('--s3-endpoint', argv['s3-endpoint']).url,
      region: argv['s3-region'] as string | undefined,
      pathStyle: argv['s3-path-style'] as boolean | undefined,
    },
    ssh: {
      gateway: argv.gateway as string | undefined,
      user: argv['ssh-user'] as string | undefined,
      identityFile: argv['ssh-key'] as string | undefined,
      knownHostsFile: argv['known-hosts'] as string | undefined,
      sshConfigFile: argv['ssh-config'] as string | undefined,
    },
  };
}

function liveOptions(y: Argv): Argv {
  return connectionOptions(
    y.option('runbook', { type: 'string', default: DEFAULT_RUNBOOK, describe: 'runbook file or bundled runbook name' }),
  );
}

function choiceOptions(y: Argv): Argv {
  return y.option('deleted-instance', {
    type: 'string',
    describe:
      'GUID of the deleted instance to restore, when the evidence does not settle it (like choose.deletedInstance in the answers file)',
  });
}

/** How to reach the platform: what `recover` takes, and `resume` may change (each change is journaled). */
function connectionOptions(y: Argv): Argv {
  return choiceOptions(y)
    .option('logs', { type: 'string', array: true, describe: 'syslog files or folders (plain, .gz, rotated; - for stdin)' })
    .option('es-url', {
      type: 'string',
      describe: 'Elasticsearch / Logsearch to search (credentials from ES_API_KEY or ES_USERNAME/ES_PASSWORD)',
    })
    .option('es-index', { type: 'string', describe: 'index pattern (default logs-*)' })
    .option('es-ca-file', { type: 'string', describe: "PEM file of the CA that signed Elasticsearch's certificate" })
    .option('clusterdata', {
      type: 'string',
      describe: "the broker's clusterdata backup bucket, s3://BUCKET[/PREFIX]: names instances and holds the deleted one's credentials",
    })
    .option('gateway', { type: 'string', describe: 'SSH jumpbox to reach the cells: user@host[:port]' })
    .option('ssh-user', { type: 'string', describe: 'user on the cells (default vcap)' })
    .option('ssh-key', { type: 'string', describe: 'private key file (default: ssh-agent)' })
    .option('known-hosts', { type: 'string', describe: 'known_hosts file for the gateway and the cells' })
    .option('ssh-config', { type: 'string', describe: 'OpenSSH client config to honour (default ~/.ssh/config)' })
    .option('s3-endpoint', { type: 'string', describe: 'S3-compatible endpoint URL' })
    .option('s3-region', { type: 'string', describe: 'S3 region' })
    .option('s3-path-style', { type: 'boolean', describe: 'path-style S3 addressing' })
    .option('cf-bin', { type: 'string', describe: 'cf CLI to run (default cf)' })
    .option('bosh-bin', { type: 'string', describe: 'bosh CLI to run (default bosh)' })
    .option('docker-bin', { type: 'string', describe: "the cell's docker client" })
    .option('docker-host', { type: 'string', describe: "the cell's docker socket" })
    .option('container-store-root', {
      type: 'string',
      describe: 'host folder of the container volumes; a flush never leaves it (default /var/vcap/store/cf-containers-broker/)',
    })
    .option('concurrency', { type: 'number', describe: 'parallel S3 copies (default 32)' })
    .option('poll-interval', { type: 'number', describe: 'seconds between status polls' })
    .option('create-deadline', { type: 'number', describe: 'minutes to wait for cf create-service' })
    .option('restore-deadline', { type: 'number', describe: 'minutes to wait for the restore' });
}

function out(text: string): void {
  process.stdout.write(text);
}

let exitCode: number = EXIT.done;

const recover: CommandModule = {
  command: 'recover',
  describe: "Recover a user's deleted service, live (asks, then confirms every destructive step)",
  builder: (y) =>
    liveOptions(y)
      .example('$0 recover --logs /var/log/remote --gateway ubuntu@opsman', 'live recovery, reaching the cells through the Ops Manager VM')
      .example('$0 recover --answers answers.yaml --logs logs/', "take the user's answers from a file"),
  handler: async (argv) => {
    const { drive } = await import('./engine/driver.js');
    const { platforms } = await import('./commands/platforms.js');
    const r = await drive({
      platforms,
      stateDir: String(argv['state-dir']),
      out: process.stdout,
      start: { mode: 'live', runbookFile: runbookPath(String(argv.runbook)), settings: settingsFrom(argv), live: liveFrom(argv) },
      answersFile: argv.answers as string | undefined,
      yes: Boolean(argv.yes),
      verbose: Boolean(argv.verbose),
      actions: await actionRegistry(),
    });
    exitCode = r.exitCode;
  },
};

const rehearse: CommandModule = {
  command: 'rehearse',
  describe: 'Rehearse the whole recovery against a simulated platform (fixtures)',
  builder: (y) =>
    y
      .option('scenario', { type: 'string', describe: 'scenario folder (default: the bundled seed-003 incident)' })
      .option('deleted-instance', {
        type: 'string',
        describe: 'GUID of the deleted instance to restore, when the evidence does not settle it',
      })
      .option('container-store-root', { type: 'string', describe: "host folder of the simulated cells' container volumes" })
      .option('logs', { type: 'string', array: true, describe: "more syslog files or folders to search besides the scenario's" })
      .option('runbook', { type: 'string', default: DEFAULT_RUNBOOK, describe: 'runbook file or bundled runbook name' })
      .example('$0 rehearse --yes', 'rehearse the bundled incident without stopping at confirmations')
      .example('$0 rehearse --scenario my-scenario/', 'rehearse against your own scenario'),
  handler: async (argv) => {
    const scenario = argv.scenario ? String(argv.scenario) : join(packageRoot(), DEFAULT_SCENARIO);
    const { drive } = await import('./engine/driver.js');
    const { platforms } = await import('./commands/platforms.js');
    const r = await drive({
      platforms,
      stateDir: String(argv['state-dir']),
      out: process.stdout,
      start: { mode: 'rehearsal', runbookFile: runbookPath(String(argv.runbook)), scenarioDir: scenario, settings: settingsFrom(argv) },
      answersFile: argv.answers as string | undefined,
      yes: Boolean(argv.yes),
      verbose: Boolean(argv.verbose),
      actions: await actionRegistry(),
    });
    exitCode = r.exitCode;
  },
};

const resume: CommandModule = {
  command: 'resume [run-id]',
  describe: 'Continue a run where it stopped (crash, lost SSH, Ctrl-C, another operator)',
  builder: (y) =>
    connectionOptions(y)
      .positional('run-id', { type: 'string', describe: 'run to resume (default: the newest unfinished one)' })
      .option('steal-lock', {
        type: 'boolean',
        default: false,
        describe: 'take over a run locked by another driver (the take-over is journaled)',
      })
      .example('$0 resume', 'continue the newest unfinished run')
      .example('$0 resume 20260317-180520-ab12 --yes', 'continue that run, accepting confirmations')
      .example('$0 resume --container-store-root /var/vcap/store/containers/', 'continue with a setting changed (the change is journaled)'),
  handler: async (argv) => {
    const stateDir = String(argv['state-dir']);
    const { latestUnfinished } = await import('./engine/runs.js');
    const id = (argv['run-id'] as string | undefined) ?? latestUnfinished(stateDir);
    if (!id) throw new UsageError(`no unfinished run in ${resolve(stateDir)}`, { hint: 'list runs with `dingo-recover runs`' });
    const { drive } = await import('./engine/driver.js');
    const { platforms } = await import('./commands/platforms.js');
    const r = await drive({
      platforms,
      stateDir,
      out: process.stdout,
      resumeId: id,
      override: { settings: settingsFrom(argv), live: liveFrom(argv) },
      answersFile: argv.answers as string | undefined,
      yes: Boolean(argv.yes),
      stealLock: Boolean(argv['steal-lock']),
      verbose: Boolean(argv.verbose),
      actions: await actionRegistry(),
    });
    exitCode = r.exitCode;
  },
};

const abandonCmd: CommandModule = {
  command: 'abandon <run-id>',
  describe: 'End a run on the record without finishing it, so a fresh recover can start',
  builder: (y) =>
    y
      .positional('run-id', { type: 'string', demandOption: true })
      .option('reason', { type: 'string', demandOption: true, describe: 'why the run is ended (kept in its journal)' })
      .option('steal-lock', {
        type: 'boolean',
        default: false,
        describe: 'take over a run locked by another driver (the take-over is journaled)',
      })
      .example(
        '$0 abandon 20260317-180520-ab12 --reason "the space was recreated"',
        'end that run; a new recover may adopt the instance it created',
      ),
  handler: async (argv) => {
    const { abandon } = await import('./engine/driver.js');
    exitCode = abandon({
      stateDir: String(argv['state-dir']),
      runId: String(argv['run-id']),
      reason: String(argv.reason),
      stealLock: Boolean(argv['steal-lock']),
      out: process.stdout,
    });
  },
};

const runs: CommandModule = {
  command: 'runs',
  describe: 'List runs in the state folder',
  builder: (y) => y.example('$0 runs --json', 'runs as JSON'),
  handler: async (argv) => {
    const stateDir = String(argv['state-dir']);
    const { listRunIds, loadRun } = await import('./engine/runs.js');
    const list = listRunIds(stateDir).map((id) => {
      try {
        const r = loadRun(stateDir, id);
        return {
          runId: id,
          mode: r.mode,
          runbook: r.runbook,
          status: r.status,
          createdAt: r.createdAt,
          lastEventAt: r.lastEventAt,
          currentStep: r.currentStep,
          stepsDone: r.steps.finished,
          stepCount: r.steps.total,
        };
      } catch (err) {
        return { runId: id, status: 'unreadable', error: (err as Error).message };
      }
    });
    if (argv.json) return out(JSON.stringify({ runs: list }, null, 2) + '\n');
    if (list.length === 0) return out(`no runs in ${resolve(stateDir)}\n`);
    for (const r of list) {
      out(
        `${r.runId}  ${String(r.status).padEnd(11)} ${'mode' in r ? `${r.mode}  ${r.runbook}  steps ${r.stepsDone}/${r.stepCount ?? '?'}${r.currentStep ? `  at ${r.currentStep}` : ''}` : r.error}\n`,
      );
    }
  },
};

const show: CommandModule = {
  command: 'show <run-id>',
  describe: 'The transcript of a run: steps, commands, exit codes, durations, confirmations',
  builder: (y) =>
    y
      .positional('run-id', { type: 'string', demandOption: true })
      .option('format', {
        choices: ['text', 'markdown'] as const,
        default: 'text',
        describe: 'markdown: the incident report to paste into the ticket',
      })
      .example('$0 show 20260317-180520-ab12 --json', 'the transcript as JSON')
      .example('$0 show 20260317-180520-ab12 --format markdown', 'the incident report'),
  handler: async (argv) => {
    const { loadRun } = await import('./engine/runs.js');
    const { loadRunbook } = await import('./engine/runbook.js');
    const { buildTranscript, renderTranscript, renderTranscriptJson } = await import('./engine/transcript.js');
    const run = loadRun(String(argv['state-dir']), String(argv['run-id']));
    let runbook = null;
    try {
      runbook = loadRunbook(run.state.created.runbook.file, await actionRegistry());
    } catch {
      runbook = null; // the transcript still lists every step the journal knows
    }
    const t = buildTranscript(run, runbook);
    if (argv.format === 'markdown') {
      const { renderIncidentReport } = await import('./engine/incident-report.js');
      return out(renderIncidentReport(t));
    }
    out(argv.json ? renderTranscriptJson(t) : renderTranscript(t));
  },
};

const validate: CommandModule = {
  command: 'validate <runbook>',
  describe: 'Check a runbook statically (actions, parameters, references) without running it',
  builder: (y) =>
    y
      .positional('runbook', { type: 'string', demandOption: true, describe: 'runbook file, or the name of a bundled runbook' })
      .example('$0 validate recover-deleted-service', 'check the bundled runbook')
      .example('$0 validate ./my-runbook.yaml', 'check your own'),
  handler: async (argv) => {
    const file = runbookPath(String(argv.runbook));
    const { loadRunbook } = await import('./engine/runbook.js');
    const rb = loadRunbook(file, await actionRegistry());
    if (argv.json) out(JSON.stringify({ ok: true, file, steps: rb.steps.length, inputs: rb.inputs.length }) + '\n');
    else out(`${file}: ok (${rb.inputs.length} inputs, ${rb.steps.length} steps)\n`);
  },
};

const explain: CommandModule = {
  command: 'explain <runbook>',
  describe: 'Explain a runbook step by step: why, what it does, what it changes',
  builder: (y) =>
    y
      .positional('runbook', { type: 'string', demandOption: true })
      .example('$0 explain recover-deleted-service', 'walk through the bundled runbook'),
  handler: async (argv) => {
    const actions = await actionRegistry();
    const { loadRunbook } = await import('./engine/runbook.js');
    const { wrap } = await import('./engine/screen-text.js');
    const rb = loadRunbook(runbookPath(String(argv.runbook)), actions);
    if (argv.json) {
      return out(
        JSON.stringify(
          {
            name: rb.name,
            title: rb.title,
            inputs: rb.inputs.map(({ line: _l, ...i }) => i),
            steps: rb.steps.map((s) => ({
              id: s.id,
              title: s.title,
              why: s.why,
              action: s.action,
              effect: actions.get(s.action)!.effect,
              confirm: s.confirm ?? null,
            })),
          },
          null,
          2,
        ) + '\n',
      );
    }
    const lines = [rb.title, '', ...wrap(rb.description, 90), '', 'Asks:'];
    for (const i of rb.inputs) lines.push(`  - ${i.prompt}${i.default !== undefined ? ` (default ${JSON.stringify(i.default)})` : ''}`);
    for (const [n, s] of rb.steps.entries()) {
      const a = actions.get(s.action)!;
      lines.push('', `${n + 1}. ${s.title}  [${s.action}, ${a.effect}${s.confirm ? ', asks for a typed confirmation' : ''}]`);
      for (const l of wrap(s.why, 86)) lines.push(`   ${l}`);
      if (s.confirm) lines.push(`   confirm id: ${s.id} (type ${describeConfirm(s.confirm)}; in an answers file: confirm.${s.id})`);
    }
    out(lines.join('\n') + '\n');
  },
};

/** What a confirmation accepts, in words: `${steps.x.outputs.instanceGuid}` → "the first 8 characters of x's instanceGuid". */
function describeConfirm(c: { typed: string; alsoAccept?: string }): string {
  const words = (ref: string): string => {
    const step = /^\$\{steps\.([^.]+)\.outputs\.([^}]+)\}$/.exec(ref);
    if (step) return `the first 8 characters of ${step[2]} from step ${step[1]}`;
    const input = /^\$\{inputs\.([^}]+)\}$/.exec(ref);
    return input ? `the ${input[1]} input` : JSON.stringify(ref);
  };
  return words(c.typed) + (c.alsoAccept ? `, or ${words(c.alsoAccept)}` : '');
}

export async function main(args: string[]): Promise<number> {
  exitCode = EXIT.done;
  const parser = globalOptions(yargs(args))
    .scriptName('dingo-recover')
    .usage("$0 <command>\n\nRecover a user's deleted Dingo PostgreSQL service instance, step by step, with evidence.")
    .command(recover)
    .command(resume)
    .command(abandonCmd)
    .command(rehearse)
    .command(runs)
    .command(show)
    .command(validate)
    .command(explain)
    .command(extraCommands() as CommandModule[])
    .strict()
    .command({
      command: '$0',
      describe: false,
      handler: () => {
        // A bare dingo-recover starts nothing: it shows what there is to do.
        parser.showHelp((text) => process.stdout.write(text + '\n'));
      },
    } as CommandModule)
    .demandCommand(0)
    .epilogue('Exit codes: 0 done, 1 step failed, 2 bad usage or input, 3 waiting for the operator, 130 interrupted.')
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg ?? 'bad usage', { hint: 'see --help' });
    })
    .help()
    .version(packageVersion());
  try {
    await parser.parseAsync();
    // Domain commands (drill, wal-fetch, archive) report their own exit codes through process.exitCode.
    return exitCode !== EXIT.done ? exitCode : Number(process.exitCode ?? EXIT.done);
  } catch (err) {
    const code = exitCodeOf(err);
    const message = secrets.redact(err instanceof Error ? err.message : String(err));
    process.stderr.write(`dingo-recover: ${message}\n`);
    if (err instanceof DingoError && err.hint) process.stderr.write(`what to do: ${secrets.redact(err.hint)}\n`);
    else if (!(err instanceof DingoError)) process.stderr.write(secrets.redact(String((err as Error).stack ?? '')) + '\n');
    return err instanceof DingoError ? code : EXIT.stepFailed;
  }
}
