/**
 * The ssh-agent against a real OpenSSH agent and a real sshd that allows two authentication
 * attempts: the agent holds other keys before the cell's, as an operator's agent does, so offering
 * all of them fails the way OpenSSH's "Too many authentication failures" does, and IdentitiesOnly
 * (or an explicit key) must offer only the identity files' keys.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed, UsageError } from '../../../src/core/errors.js';
import { createSshCellAccess, type SshOptions } from '../../../src/systems/ssh/index.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { ifStarted } from '../../support/started.js';
import { Redactor } from '../../../src/core/redact.js';

const CELL_IP = '10.58.111.160';
const PASSPHRASE = 'agent-test-passphrase-Hy62';

function keygen(file: string, passphrase = ''): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'dingo-agent-test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** `ssh-agent -D` on its own socket, as this process's child. */
async function startAgent(socket: string): Promise<ChildProcess> {
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(socket)) throw new Error(`ssh-agent did not open ${socket}`);
  return child;
}

/** ssh-add, the passphrase given through SSH_ASKPASS as ssh-add reads it without a terminal. */
function sshAdd(socket: string, file: string, askpass?: string): void {
  execFileSync('ssh-add', ['-q', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SSH_AUTH_SOCK: socket,
      ...(askpass ? { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' } : {}),
    },
  });
}

describe.skipIf(!sshdAvailable)('the ssh-agent a hop uses (real ssh-agent, real sshd)', () => {
  let cell: Sshd;
  let agent: ChildProcess;
  let work: string;
  let socket: string;
  let encrypted: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'dingo-ssh-agent-'));
    encrypted = join(work, 'encrypted_ed25519');
    const encryptedPub = keygen(encrypted, PASSPHRASE);
    cell = await startSshd({ user: 'dingoagent', authorizedKeys: [encryptedPub], config: ['MaxAuthTries 2'] });
    socket = join(work, 'agent.sock');
    agent = await startAgent(socket);
    // Three keys the cell does not accept, added first: the agent lists keys in the order added.
    for (const name of ['other1', 'other2', 'other3']) {
      keygen(join(work, name));
      sshAdd(socket, join(work, name));
    }
    sshAdd(socket, cell.clientKeyFile);
    const askpass = join(work, 'askpass');
    writeFileSync(askpass, `#!/bin/sh\necho '${PASSPHRASE}'\n`);
    chmodSync(askpass, 0o700);
    sshAdd(socket, encrypted, askpass);
  });
  afterAll(async () => {
    if (ifStarted(agent)) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await ifStarted(cell)?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function access(configLines: string[], extra: Partial<SshOptions> = {}): ReturnType<typeof createSshCellAccess> {
    const config = join(work, `config-${String(Math.random()).slice(2)}`);
    writeFileSync(
      config,
      [`Host ${CELL_IP}`, '  HostName 127.0.0.1', `  Port ${cell.port}`, ...configLines.map((l) => `  ${l}`), ''].join('\n'),
    );
    return createSshCellAccess({
      redactor: new Redactor(),
      user: cell.user,
      sshConfigFile: config,
      pinnedFingerprints: { [CELL_IP]: cell.hostKeyFingerprint },
      home: work,
      agent: socket,
      ...extra,
    });
  }

  async function whoami(a: ReturnType<typeof createSshCellAccess>): Promise<string> {
    const session = await a.open(CELL_IP);
    try {
      return (await session.run({ argv: ['whoami'], writes: false })).stdout.trim();
    } finally {
      await session.close();
    }
  }

  it('offering every key of the agent uses up MaxAuthTries before the cell key, and the error says what to set', async () => {
    const err = await whoami(access([`IdentityFile ${cell.clientKeyFile}`])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `ssh to ${cell.user}@${CELL_IP} (127.0.0.1):${String(cell.port)}: the server stopped the login after too many keys (offered ssh-agent, ${cell.clientKeyFile})`,
    );
    expect((err as StepFailed).hint).toContain('IdentitiesOnly yes');
  });

  it("IdentitiesOnly yes: the agent offers only the identity files' keys, and the cell opens", async () => {
    expect(await whoami(access([`IdentityFile ${cell.clientKeyFile}`, 'IdentitiesOnly yes']))).toBe('dingoagent');
  });

  it("an explicit key (--ssh-key) is offered alone, the agent's other keys held back", async () => {
    expect(await whoami(access([], { identityFile: cell.clientKeyFile }))).toBe('dingoagent');
  });

  it('a key under a passphrase is signed by the agent that holds it, found by its .pub', async () => {
    expect(await whoami(access([`IdentityFile ${encrypted}`, 'IdentitiesOnly yes']))).toBe('dingoagent');
    expect(await whoami(access([], { identityFile: encrypted }))).toBe('dingoagent');
  });

  it('without an agent, a key under a passphrase is refused with the ssh-add that fixes it', async () => {
    const err = await whoami(access([`IdentityFile ${encrypted}`, 'IdentityAgent none'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`identity file ${encrypted} is protected by a passphrase`);
    expect((err as UsageError).hint).toContain(`ssh-add ${encrypted}`);
    expect(JSON.stringify(err)).not.toContain(PASSPHRASE);
  });

  it('IdentityAgent names the agent: a socket path over SSH_AUTH_SOCK, none for no agent', async () => {
    // Only the public half on disk: the agent signs for it, as OpenSSH lets it.
    const pubOnly = join(work, 'pub_only');
    writeFileSync(`${pubOnly}.pub`, readFileSync(`${cell.clientKeyFile}.pub`));
    const lines = [`IdentityFile ${pubOnly}`, 'IdentitiesOnly yes'];
    expect(await whoami(access([...lines, `IdentityAgent ${socket}`], { agent: '' }))).toBe('dingoagent');
    const none = await whoami(access([...lines, 'IdentityAgent none'])).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(UsageError);
    expect((none as UsageError).message).toContain('no identity file found and no ssh-agent');
  });

  it('an agent that cannot be reached is passed over, as ssh passes it over: the identity files are still offered', async () => {
    const gone = join(work, 'no-agent.sock');
    // A stale SSH_AUTH_SOCK (its session closed), and an IdentityAgent that is not running.
    expect(await whoami(access([`IdentityFile ${cell.clientKeyFile}`], { agent: gone }))).toBe('dingoagent');
    expect(await whoami(access([`IdentityFile ${cell.clientKeyFile}`, `IdentityAgent ${gone}`]))).toBe('dingoagent');
    expect(await whoami(access([], { agent: gone, identityFile: cell.clientKeyFile }))).toBe('dingoagent');
    // When nothing else opens the cell, the error says the agent was not there.
    const err = await whoami(access([`IdentityFile ${join(work, 'other1')}`], { agent: gone })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toContain(`authentication failed (offered no ssh-agent (${gone}: `);
    expect((err as StepFailed).message.endsWith(`, ${join(work, 'other1')})`)).toBe(true);
  });
});
