/**
 * `dingo-recover logs find`: which deleted instance a service name belonged to, with evidence.
 * `dingo-recover logs instance`: the containers, cells and archive of one instance (the new one).
 */
import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { isGuid } from '../../core/guid.js';
import { secrets, invocation } from '../../core/invocation.js';
import { printableJson } from '../../core/display.js';
import { clusterdataFromArgs, searchFromArgs, sourceOptions } from './sources.js';
import { s3FlagOptions } from '../flags/s3.js';
import { configurable } from '../flags/config-file.js';
import { CLUSTERDATA_FLAG, LOG_FLAGS } from './evidence-flags.js';

/** Refuses, as bad usage, a value that is not a GUID, naming the cf command that gives it. */
function requireGuid(value: string, refusal: string, cfCommand: string): void {
  if (!isGuid(value)) throw new UsageError(refusal, { hint: `Get it with: ${cfCommand}` });
}

/**
 * Refuses, before any search, --logs paths none of which is there: "no such path" is what went
 * wrong, not that nothing was found. Among paths that are there, a missing one is reported by the
 * search as unreadable.
 */
function requireLogPaths(paths: readonly (string | number)[] | undefined): void {
  const given = (paths ?? []).map(String).filter((p) => p !== '');
  const missing = given.filter((p) => p !== '-' && !existsSync(p));
  if (missing.length && missing.length === given.length) {
    throw new UsageError(`no such path: ${missing.map((p) => JSON.stringify(p)).join(', ')} (--logs)`, {
      hint: 'check the path (ls -ld it); give syslog files or folders with --logs PATH... (- for stdin)',
    });
  }
}

/** The finder and its renderer, loaded only when a search runs. */
async function searchModules() {
  return { ...(await import('../../logs/find.js')), ...(await import('./render.js')) };
}

type SearchModules = Awaited<ReturnType<typeof searchModules>>;

/**
 * A `logs` subcommand: `check` refuses bad arguments, then --logs paths none of which is there
 * are refused, and only then does the finder load and `search` run.
 */
function searchCommand<U extends { logs?: readonly (string | number)[] }>(spec: {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<U>;
  check: (a: ArgumentsCamelCase<U>) => void;
  search: (a: ArgumentsCamelCase<U>, modules: SearchModules) => Promise<void>;
}) {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: spec.builder,
    handler: async (a: ArgumentsCamelCase<U>) => {
      spec.check(a);
      requireLogPaths(a.logs);
      await spec.search(a, await searchModules());
    },
  };
}

/** What a search found: JSON with --json, else rendered for people; redacted either way. */
function printFound<R>(json: boolean, found: R, render: (found: R) => string): void {
  invocation().stdout.write(secrets().redact(json ? printableJson(found, 2) + '\n' : render(found)));
}

function findOptions(y: Argv) {
  const settings = { ...LOG_FLAGS, ...CLUSTERDATA_FLAG, ...s3FlagOptions };
  return configurable(sourceOptions(y), settings)
    .option('service-name', { type: 'string', demandOption: true, describe: 'the name the user gave the deleted service' })
    .option('org', { type: 'string', describe: 'org (a GUID filters; a name is only noted)' })
    .option('space', { type: 'string', describe: 'space (a GUID filters; a name is only noted)' })
    .option('space-guid', { type: 'string', describe: 'space GUID: instances of other spaces are left out' })
    .options(CLUSTERDATA_FLAG)
    .options(s3FlagOptions)
    .example('$0 logs find --service-name important-db --logs /var/log/syslog* --json', 'rank the candidates');
}

const find = searchCommand({
  command: 'find',
  describe: 'Find the deleted instance a service name belonged to, ranked, with the log lines that show it',
  builder: findOptions,
  check: (a) => {
    const spaceGuid = a['space-guid'];
    if (spaceGuid) requireGuid(spaceGuid, `--space-guid ${JSON.stringify(spaceGuid)} is not a GUID`, 'cf space SPACE --guid');
  },
  search: async (a, { findDeletedInstance, noCandidateError, renderCandidates }) => {
    const result = await findDeletedInstance({
      ...searchFromArgs(a),
      serviceName: a['service-name'],
      org: a.org,
      space: a.space,
      spaceGuid: a['space-guid'],
      clusterdata: await clusterdataFromArgs(a),
    });
    printFound(a.json, result, (r) => renderCandidates(r.candidates, r.searched, r.otherSpace));
    if (result.candidates.length === 0) throw noCandidateError(a['service-name'], result.searched);
  },
});

function instanceOptions(y: Argv) {
  return configurable(sourceOptions(y), LOG_FLAGS)
    .positional('guid', { type: 'string', demandOption: true, describe: 'instance GUID (cf service NAME --guid)' })
    .example('$0 logs instance 78218ded-7d88-4d69-bd44-6f478c300134 --logs /var/log/syslog*', 'where the new instance runs and archives');
}

const instance = searchCommand({
  command: 'instance <guid>',
  describe: "Find an instance's containers, their cells and its archive prefix (e.g. the new instance)",
  builder: instanceOptions,
  check: (a) => {
    requireGuid(a.guid, `${JSON.stringify(a.guid)} is not an instance GUID`, 'cf service NAME --guid');
  },
  search: async (a, { findInstance, renderInstance }) => {
    printFound(a.json, await findInstance({ ...searchFromArgs(a), instanceGuid: a.guid }), renderInstance);
  },
});

export const logsCommand = {
  command: 'logs <command>',
  describe: "Search the platform logs: find a deleted instance, or an instance's containers and archive",
  builder: (y: Argv) =>
    y
      .command(find)
      .command(instance)
      .demandCommand(1)
      .example('$0 logs find --service-name important-db --logs /var/log/syslog*', 'which deleted instance was important-db?'),
  handler: () => undefined,
};
