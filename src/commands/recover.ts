/** `dingo-recover recover`: the live recovery, asking, then confirming every destructive step. */
import { CONNECTION_FLAGS } from './flags/connection.js';
import { recordOption } from './run/record-flag.js';
import { liveChoice, runCommand } from './run/command.js';
import { liveOptions } from './run/flags.js';
import { atTarget, targetOptions } from './run/target-flags.js';

export const recoverCommand = runCommand({
  command: 'recover',
  describe: "Recover a user's deleted service, live (asks, then confirms every destructive step)",
  options: (y) => targetOptions(recordOption(liveOptions(y))),
  settings: CONNECTION_FLAGS,
  examples: [
    ['$0 recover --logs /var/log/remote --gateway ubuntu@opsman', 'live recovery, reaching the cells through the Ops Manager VM'],
    ['$0 recover --answers answers.yaml --logs /var/log/remote', "take the user's answers from a file"],
    [
      '$0 recover --answers answers.yaml --logs /var/log/remote --target-time 2016-11-21T14:01:59Z',
      'the user deleted the instance after a bad write at 14:02: bring it back as it was at 14:01:59 (recover-to-target: restored, dumped and loaded into a new service of its name, not the archive swap)',
    ],
    [
      '$0 recover --answers answers.yaml --logs /var/log/remote --target-xid 1843 --target-exclusive',
      'bring it back as it was just before transaction 1843, the bad write archive mistakes found',
    ],
    [
      '$0 recover --logs /var/log/remote --record incident-scenario',
      'also write the platform as the run found it (before its first change); the postmortem replays it with: dingo-recover rehearse --scenario incident-scenario',
    ],
  ],
  choice: async (argv) => {
    const target = atTarget(argv, argv.runbook);
    if (!target) return liveChoice(argv);
    const choice = await liveChoice({ ...argv, runbook: target.runbook });
    return { ...choice, start: { ...choice.start, inputs: target.inputs, inputFlags: target.inputFlags } };
  },
});
