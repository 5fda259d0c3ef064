/**
 * How a hop is authenticated (its ssh-agent, see ssh-agent.ts, then the identity files that exist
 * and parse), and what a failed handshake means for the operator.
 */
import { existsSync, readFileSync } from 'node:fs';
import ssh2, { type AgentAuthMethod, type ClientErrorExtensions, type PublicKeyAuthMethod } from 'ssh2';
import { StepFailed, UsageError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { ListedAgent, agentSocket, publicKeyOf } from './ssh-agent.js';
import { describeHop, type Hop } from './ssh-hops.js';

// ssh2 is CommonJS: Node's ESM loader only sees some of its names, so take them from the default export.
const { utils } = ssh2;

interface AuthPlan {
  methods: (AgentAuthMethod | PublicKeyAuthMethod)[];
  tried: string[];
}

/**
 * The agent (when the hop has one), then each identity file that exists and opens. `environmentAgent`
 * is SSH_AUTH_SOCK ('' for none); the config's IdentityAgent overrides it.
 */
export function authMethods(hop: Hop, environmentAgent: string | undefined, redactor: Redactor): AuthPlan {
  const methods: AuthPlan['methods'] = [];
  const tried: string[] = [];
  const socket = agentSocket(hop, environmentAgent);
  if (socket) {
    const allowed = hop.identitiesOnly ? hop.identityFiles.map(publicKeyOf).filter((k) => k !== undefined) : undefined;
    if (!allowed || allowed.length > 0) {
      const at = tried.push(allowed ? "ssh-agent (the identity files' keys only)" : 'ssh-agent') - 1;
      const unreachable = (why: string): void => {
        tried[at] = `no ssh-agent (${socket}: ${why})`;
      };
      methods.push({ type: 'agent', username: hop.user, agent: new ListedAgent(socket, unreachable, allowed) });
    }
  }
  const agentMayHold = methods.length > 0;
  for (const file of hop.identityFiles) {
    if (!existsSync(file)) {
      if (hop.identityOnly)
        throw new UsageError(`identity file ${file} does not exist`, { hint: 'pass the private key that opens the cell (or the jumpbox)' });
      continue;
    }
    const text = readFileSync(file, 'utf8');
    redactor.register(text);
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      // A key under a passphrase is the agent's to sign with, when there is an agent.
      if (encrypted && agentMayHold) continue;
      const message = encrypted
        ? `identity file ${file} is protected by a passphrase`
        : `identity file ${file} is not a private key ssh2 can read`;
      if (hop.identityOnly || methods.length === 0) {
        throw new UsageError(message, {
          hint: encrypted ? `load it into ssh-agent (ssh-add ${file}) and let the agent sign` : 'pass an OpenSSH or PEM private key',
        });
      }
      continue;
    }
    methods.push({ type: 'publickey', username: hop.user, key: text });
    tried.push(file);
  }
  if (methods.length === 0) {
    throw new UsageError(`no way to authenticate to ${describeHop(hop)}: no identity file found and no ssh-agent`, {
      hint: 'pass an identity file or set SSH_AUTH_SOCK',
    });
  }
  return { methods, tried };
}

export function connectError(
  err: Error & ClientErrorExtensions & { code?: string },
  label: string,
  tried: string[],
  redactor: Redactor,
): StepFailed {
  const text = redactor.redact(err.message);
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(text)) {
    return new StepFailed(`ssh to ${label}: authentication failed (offered ${tried.join(', ')})`, {
      hint: 'check the user and that its authorized_keys holds the key you offer',
    });
  }
  if (/too many authentication failures/i.test(text)) {
    return new StepFailed(`ssh to ${label}: the server stopped the login after too many keys (offered ${tried.join(', ')})`, {
      hint: 'its MaxAuthTries ran out before the right key was offered: set IdentitiesOnly yes (and that IdentityFile) for this host in the ssh config, or pass --ssh-key, so only that key is offered',
    });
  }
  if (err.level === 'client-timeout' || /timed out/i.test(text)) {
    return new StepFailed(`ssh to ${label}: timed out waiting for the SSH handshake`, {
      hint: 'check the address, port and any firewall in between',
      cause: err,
    });
  }
  return new StepFailed(`ssh to ${label} failed: ${err.code ? `${err.code} ` : ''}${text}`, {
    hint: 'check the address and port (ssh config HostName/Port/ProxyJump) and that sshd runs there',
  });
}
