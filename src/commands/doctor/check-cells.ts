/**
 * The way to the cells: the SSH gateway's host key and login (nothing runs there); no cell is reached
 * from here, since the run finds them in the logs.
 */
import { secrets } from '../../core/invocation.js';
import { reachGateway } from '../../systems/ssh/index.js';
import { parseGateway } from '../run/live-platform.js';
import { notChecked, ok, type Check } from './check.js';
import { withDeadline } from './deadline.js';
import { CONNECT_MS, type DoctorSubject } from './subject.js';

export function cells(s: DoctorSubject): Check {
  const fix = 'check --gateway user@host[:port], --ssh-key, --known-hosts and --ssh-config: `ssh -J GATEWAY vcap@CELL` must work from here';
  return {
    name: 'cells',
    fix,
    run: async (say) => {
      if (s.mode === 'rehearsal') return ok('the simulated cells of the scenario');
      const ssh = s.live?.ssh ?? {};
      // Through `bosh ssh`, bosh itself makes the way (its check above): its gateway is the director's to use.
      if (ssh.via === 'bosh') {
        return notChecked("no cell reached: each is reached through `bosh ssh` (the director's SSH gateway) once the run finds it");
      }
      if (!ssh.gateway)
        return notChecked('no --gateway: no cell reached; each is reached over SSH as the ssh config says, when the run finds it');
      const gateway = parseGateway(ssh.gateway);
      const reached = await withDeadline(`the SSH handshake with the gateway ${ssh.gateway}`, CONNECT_MS, say, () =>
        reachGateway({
          gateway,
          user: ssh.user,
          identityFile: ssh.identityFile,
          knownHostsFile: ssh.knownHostsFile,
          sshConfigFile: ssh.sshConfigFile,
          agent: s.env.SSH_AUTH_SOCK || undefined,
          readyTimeoutMs: CONNECT_MS,
          redactor: secrets(),
        }),
      );
      return ok(`gateway ${reached}: host key known, logged in`);
    },
  };
}
