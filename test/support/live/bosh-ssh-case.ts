/**
 * A live case whose cell is reached the way `--ssh-via bosh` reaches it: the bosh double made the
 * given era's CLI, its `bosh ssh` running OpenSSH through the case's jumpbox sshd to the cell's
 * (../fake-cli/bosh-session.ts), every invocation logged (FAKE_CLI_LOG) and every temporary user's
 * setup and cleanup in `bosh-sessions.ndjson` of the case's folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoshSshWorld } from '../fake-cli/bosh-session.js';
import type { LiveCase } from './case-types.js';
import type { LiveServers } from './servers.js';
import { CELL_IP } from './shared.js';

/** The gateway `bosh ssh` goes through: the jumpbox sshd, by the name the operator gives it. */
export const GATEWAY = 'dingo-jumpbox';

/** The case's bosh made the CLI of `version`, its ssh reaching the cell and the gateway sshd of `s`. */
export function withBoshSsh(s: LiveServers, c: LiveCase, version: string): LiveCase {
  const state = c.env.FAKE_BOSH_STATE!;
  writeFileSync(state, JSON.stringify({ ...JSON.parse(readFileSync(state, 'utf8')), version }));
  const world: BoshSshWorld = {
    cells: {
      [CELL_IP]: { port: s.cell.port, user: s.cell.user, identityFile: s.cell.clientKeyFile, hostPublicKey: s.cell.hostPublicKey },
    },
    gateways: { [GATEWAY]: { port: s.gateway.port } },
    sessionsLog: join(c.dir, 'bosh-sessions.ndjson'),
  };
  writeFileSync(join(c.dir, 'bosh-ssh.json'), JSON.stringify(world));
  writeFileSync(world.sessionsLog, '');
  Object.assign(c.env, { FAKE_BOSH_SSH: join(c.dir, 'bosh-ssh.json'), FAKE_CLI_LOG: join(c.dir, 'cli.ndjson') });
  return c;
}

/** A case's arguments without its ssh config (bosh's own ssh is used), then the bosh way through the jumpbox. */
export function viaBosh(s: LiveServers, args: readonly string[]): string[] {
  const at = args.indexOf('--ssh-config');
  const rest = at < 0 ? [...args] : [...args.slice(0, at), ...args.slice(at + 2)];
  return [...rest, '--ssh-via', 'bosh', '--gateway', `${s.gateway.user}@${GATEWAY}`, '--ssh-key', s.gateway.clientKeyFile];
}

/** The records of an NDJSON log (the fake CLIs' invocations, bosh ssh's sessions), in order. */
export function ndjson<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** The argument lists the case's fake CLIs were invoked with, in order. */
export function cliCalls(c: LiveCase): string[][] {
  return ndjson<{ argv: string[] }>(c.env.FAKE_CLI_LOG!).map((l) => l.argv);
}
