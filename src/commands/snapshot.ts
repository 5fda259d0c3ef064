/**
 * `dingo-recover snapshot --out DIR`: what a recovery of the answers' service would read of the
 * live platform, written as a scenario folder (`rehearse --scenario DIR` loads it), secrets
 * replaced by stand-ins. It takes `recover`'s connection flags and answers file, and only reads.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { secrets } from '../core/invocation.js';
import { systemScratch } from '../core/runtime.js';
import { resolve } from 'node:path';
import { actionRegistry } from '../actions/index.js';
import { checkChoiceKeys, loadAnswers, type Answers } from '../engine/operator/index.js';
import { choicesGiven } from '../engine/run/index.js';
import type { GlobalArgs } from './flags/global.js';
import type { ArgsOf } from './lazy-command.js';
import { clusterdataFromArgs, sourcesFromArgs } from './logs/sources.js';
import { connectionOptions } from './run/flags.js';
import { liveFrom, settingsFrom } from './run/settings.js';
import { SPACE_RUNBOOK } from './recover-space.js';
import { writeOut } from './terminal-out.js';

function snapshotOptions(y: Argv<GlobalArgs>) {
  return connectionOptions(y)
    .option('out', { type: 'string', demandOption: true, describe: 'new (or empty) folder to write the scenario to; made 0700' })
    .example(
      '$0 snapshot --answers answers.yaml --logs /var/log/remote --gateway ubuntu@opsman --out incident-snapshot',
      'snapshot what a recovery of the answers’ service would read, then: $0 rehearse --scenario incident-snapshot',
    );
}

type SnapshotArgs = ArgsOf<typeof snapshotOptions>;

/**
 * The deleted instance a recovery would restore, as the answers file and --deleted-instance give it:
 * checked as a run checks them (a choice no action asks is a typo, the two must agree), since a
 * snapshot of another instance than the run will restore rehearses the wrong incident.
 */
function chosenInstance(file: string, answers: Answers, flag: string | undefined): string | undefined {
  const asked = [...new Set([...actionRegistry().values()].flatMap((a) => Object.keys(a.chooses ?? {})))];
  checkChoiceKeys(file, answers, asked, 'a recovery');
  const given = choicesGiven({ answers, answersFile: resolve(file), operatorsFile: true, settings: { deletedInstance: flag } });
  return flag ?? given.deletedInstance?.value;
}

async function handler(argv: SnapshotArgs): Promise<void> {
  if (!argv.answers) {
    throw new UsageError('snapshot needs the answers file a recovery would be given', {
      hint: 'pass --answers FILE with inputs: org, space, serviceName (plan and apps as for recover)',
    });
  }
  const answers = loadAnswers(argv.answers, secrets());
  const settings = settingsFrom(argv);
  const deletedInstance = chosenInstance(argv.answers, answers, settings.deletedInstance);
  const live = liveFrom(argv);
  const { livePlatform } = await import('./run/live-platform.js');
  const { takeSnapshot, answersSubject } = await import('../snapshot/snapshot.js');
  const platform = livePlatform(live, { redactor: secrets(), scratch: systemScratch() });
  try {
    const summary = await takeSnapshot({
      platform,
      tools: {
        cfBinary: settings.cfBinary,
        boshBinary: settings.boshBinary,
        dockerBinary: settings.dockerBinary,
        dockerHost: settings.dockerHost,
      },
      sources: platform.openLogs(sourcesFromArgs(argv)),
      clusterdata: await clusterdataFromArgs(argv),
      inputs: answers.inputs,
      ...answersSubject(answers.inputs, deletedInstance),
      spaceRunbook: SPACE_RUNBOOK,
      region: live.s3?.region,
      out: argv.out,
      redactor: secrets(),
      now: new Date(),
    });
    const { renderSummary } = await import('../snapshot/summary.js');
    writeOut(secrets().redact(renderSummary(summary)));
  } finally {
    await platform.close();
  }
}

export const snapshotCommand = {
  command: 'snapshot',
  describe: 'Snapshot what a recovery would read of the live platform into a rehearsal scenario (reads only; secrets replaced)',
  builder: snapshotOptions,
  handler,
};
