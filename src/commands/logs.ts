/**
 * `dingo-recover logs find`: which deleted instance a service name belonged to, with evidence.
 * `dingo-recover logs instance`: the containers, cells and archive of one instance (the new one).
 */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { isGuid } from '../core/guid.js';
import { secrets } from '../core/redact.js';
import { printableJson } from '../core/display.js';
import { clusterdataFromArgs, searchFromArgs, sourceOptions } from './log-sources.js';
import type { ArgsOf } from './lazy-command.js';
import { s3FlagOptions } from './s3-flags.js';

function findOptions(y: Argv) {
  return sourceOptions(y)
    .option('service-name', { type: 'string', demandOption: true, describe: 'the name the user gave the deleted service' })
    .option('org', { type: 'string', describe: 'org (a GUID filters; a name is only noted)' })
    .option('space', { type: 'string', describe: 'space (a GUID filters; a name is only noted)' })
    .option('space-guid', { type: 'string', describe: 'space GUID: instances of other spaces are left out' })
    .option('clusterdata', { type: 'string', describe: "the broker's clusterdata backup bucket, s3://BUCKET[/PREFIX]" })
    .options(s3FlagOptions)
    .example('$0 logs find --service-name important-db --logs /var/log/syslog* --json', 'rank the candidates');
}

const find = {
  command: 'find',
  describe: 'Find the deleted instance a service name belonged to, ranked, with the log lines that show it',
  builder: findOptions,
  handler: async (a: ArgsOf<typeof findOptions>) => {
    if (a['space-guid'] && !isGuid(a['space-guid']))
      throw new UsageError(`--space-guid ${JSON.stringify(a['space-guid'])} is not a GUID`, { hint: 'Get it with: cf space SPACE --guid' });
    const { findDeletedInstance, noCandidateError } = await import('../logs/find.js');
    const { renderCandidates } = await import('./render-logs.js');
    const result = await findDeletedInstance({
      ...searchFromArgs(a),
      serviceName: a['service-name'],
      org: a.org,
      space: a.space,
      spaceGuid: a['space-guid'],
      clusterdata: await clusterdataFromArgs(a),
    });
    process.stdout.write(secrets.redact(a.json ? printableJson(result, 2) + '\n' : renderCandidates(result.candidates, result.searched)));
    if (result.candidates.length === 0) throw noCandidateError(a['service-name'], result.searched);
  },
};

function instanceOptions(y: Argv) {
  return sourceOptions(y)
    .positional('guid', { type: 'string', demandOption: true, describe: 'instance GUID (cf service NAME --guid)' })
    .example('$0 logs instance 78218ded-7d88-4d69-bd44-6f478c300134 --logs /var/log/syslog*', 'where the new instance runs and archives');
}

const instance = {
  command: 'instance <guid>',
  describe: "Find an instance's containers, their cells and its archive prefix (e.g. the new instance)",
  builder: instanceOptions,
  handler: async (a: ArgsOf<typeof instanceOptions>) => {
    if (!isGuid(a.guid))
      throw new UsageError(`${JSON.stringify(a.guid)} is not an instance GUID`, { hint: 'Get it with: cf service NAME --guid' });
    const { findInstance } = await import('../logs/find.js');
    const { renderInstance } = await import('./render-logs.js');
    const facts = await findInstance({ ...searchFromArgs(a), instanceGuid: a.guid });
    process.stdout.write(secrets.redact(a.json ? printableJson(facts, 2) + '\n' : renderInstance(facts)));
  },
};

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
