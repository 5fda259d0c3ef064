/** `dingo-recover recover-space`: every Dingo database of a deleted space, live. */
import { liveRunCommand } from './run/command.js';

export const SPACE_RUNBOOK = 'recover-space';

export const recoverSpaceCommand = liveRunCommand({
  command: 'recover-space',
  describe: 'Recover every Dingo database of a deleted space, live (one confirmed plan, then each instance)',
  runbook: SPACE_RUNBOOK,
  examples: [
    [
      '$0 recover-space --logs /var/log/remote --clusterdata s3://dingo-clusterdata --gateway ubuntu@opsman',
      'asks for the org and the deleted space, shows every instance it held, then recovers those confirmed',
    ],
    [
      '$0 recover-space --answers answers.yaml --logs /var/log/remote',
      'inputs org, space, recreateSpace, leaveOut (and spaceGuid when the deletion event is gone, names for instances nothing names) from a file',
    ],
  ],
});
