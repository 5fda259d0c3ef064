/**
 * How a hop is authenticated (ssh-agent, then the identity files that exist and parse), and what
 * a failed handshake means for the operator.
 */
import { existsSync, readFileSync } from 'node:fs';
import ssh2, { type AgentAuthMethod, type ClientErrorExtensions, type PublicKeyAuthMethod } from 'ssh2';
import { StepFailed, UsageError } from '../core/errors.js';
import { secrets } from '../core/redact.js';
import { describeHop, type Hop } from './ssh-hops.js';

// ssh2 is CommonJS: Node's ESM loader only sees some of its names, so take them from the default export.
const { utils } = ssh2;

interface AuthPlan {
  methods: (AgentAuthMethod | PublicKeyAuthMethod)[];
  tried: string[];
}

export function authMethods(hop: Hop, agentSocket?: string): AuthPlan {
  const methods: AuthPlan['methods'] = [];
  const tried: string[] = [];
  const agent = agentSocket ?? (hop.identityOnly ? undefined : process.env.SSH_AUTH_SOCK);
  if (agent) {
    methods.push({ type: 'agent', username: hop.user, agent });
    tried.push('ssh-agent');
  }
  for (const file of hop.identityFiles) {
    if (!existsSync(file)) {
      if (hop.identityOnly)
        throw new UsageError(`identity file ${file} does not exist`, { hint: 'pass the private key that opens the cell (or the jumpbox)' });
      continue;
    }
    const text = readFileSync(file, 'utf8');
    secrets.register(text);
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      const message = encrypted
        ? `identity file ${file} is protected by a passphrase`
        : `identity file ${file} is not a private key ssh2 can read`;
      if (hop.identityOnly || methods.length === 0) {
        throw new UsageError(message, {
          hint: encrypted ? 'load it into ssh-agent (ssh-add) and let the agent sign' : 'pass an OpenSSH or PEM private key',
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

export function connectError(err: Error & ClientErrorExtensions & { code?: string }, label: string, tried: string[]): StepFailed {
  const text = secrets.redact(err.message);
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(text)) {
    return new StepFailed(`ssh to ${label}: authentication failed (offered ${tried.join(', ')})`, {
      hint: 'check the user and that its authorized_keys holds the key you offer',
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
