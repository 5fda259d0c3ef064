/**
 * Whether the way to the cells opens, before a run needs it: the gateway reached over TCP, its host
 * key checked against the known hosts and the operator authenticated, as a cell's connection through
 * it would be; the connection is closed at once, and nothing runs on the gateway.
 */
import { homedir } from 'node:os';
import { connectChain } from './ssh-connect.js';
import { SshConfig } from './ssh-config.js';
import { describeHop } from './ssh-hops.js';
import { cellHop, type SshOptions } from './ssh.js';

/** Opens and closes an authenticated connection to the gateway of `opts`; what it reached, in words. */
export async function reachGateway(opts: SshOptions): Promise<string> {
  const home = opts.home ?? homedir();
  const config = SshConfig.load(opts.sshConfigFile ?? `${home}/.ssh/config`, home);
  // The gateway's hop is the same whichever cell lies behind it.
  const gateway = cellHop('0.0.0.0', opts, config, home).via;
  if (!gateway) throw new Error('no gateway is given: the cells are reached directly');
  const chain = await connectChain(gateway, {
    pinnedFingerprints: opts.pinnedFingerprints,
    agent: opts.agent,
    readyTimeoutMs: opts.readyTimeoutMs,
    redactor: opts.redactor,
  });
  chain.end();
  return describeHop(gateway);
}
