/** `dingo-recover recover`: the live recovery, asking, then confirming every destructive step. */
import { CONNECTION_FLAGS } from './connection-flags.js';
import { recordOption } from './record-flag.js';
import { liveChoice, runCommand } from './run-command.js';
import { liveOptions } from './run-flags.js';
import { atTargetTime, targetTimeOption } from './target-time-flag.js';

export const recoverCommand = runCommand({
  command: 'recover',
  describe: "Recover a user's deleted service, live (asks, then confirms every destructive step)",
  options: (y) => targetTimeOption(recordOption(liveOptions(y))),
  settings: CONNECTION_FLAGS,
  examples: [
    ['$0 recover --logs /var/log/remote --gateway ubuntu@opsman', 'live recovery, reaching the cells through the Ops Manager VM'],
    ['$0 recover --answers answers.yaml --logs /var/log/remote', "take the user's answers from a file"],
    [
      '$0 recover --answers answers.yaml --logs /var/log/remote --target-time 2016-11-21T14:01:59Z',
      'the user deleted the instance after a bad write at 14:02: bring it back as it was at 14:01:59 (restore-to-time into a new service of its name, not the archive swap)',
    ],
    [
      '$0 recover --logs /var/log/remote --record incident-scenario',
      'also write the platform as the run found it (before its first change); the postmortem replays it with: dingo-recover rehearse --scenario incident-scenario',
    ],
  ],
  choice: async (argv) => {
    const choice = await liveChoice(argv);
    if (argv.targetTime === undefined) return choice;
    return { ...choice, start: { ...choice.start, ...(await atTargetTime(argv.targetTime, argv.runbook)) } };
  },
});
