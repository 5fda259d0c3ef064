/** `dingo-recover recover`: the live recovery, asking, then confirming every destructive step. */
import { liveRunCommand } from './run-command.js';

export const recoverCommand = liveRunCommand({
  command: 'recover',
  describe: "Recover a user's deleted service, live (asks, then confirms every destructive step)",
  examples: [
    ['$0 recover --logs /var/log/remote --gateway ubuntu@opsman', 'live recovery, reaching the cells through the Ops Manager VM'],
    ['$0 recover --answers answers.yaml --logs /var/log/remote', "take the user's answers from a file"],
    [
      '$0 recover --logs /var/log/remote --record incident-scenario',
      'also write the platform as the run found it (before its first change); the postmortem replays it with: dingo-recover rehearse --scenario incident-scenario',
    ],
  ],
});
