/**
 * The SSH cell seam against real OpenSSH servers on loopback: a gateway (jumpbox)
 * and cells reached through it, as on a BOSH deployment.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshCellAccess, type SshOptions } from '../../../src/systems/ssh/index.js';
import { StepFailed } from '../../../src/core/errors.js';
import { expectSeqStreamed } from '../../support/slow-reader.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { ifStarted } from '../../support/started.js';
import { Redactor } from '../../../src/core/redact.js';
import { allPids, procFile } from '../../support/proc.js';

const CELL_IP = '10.58.111.150';

describe.skipIf(!sshdAvailable)('ssh cell access (real sshd)', () => {
  let gateway: Sshd;
  let cell: Sshd;
  let work: string;
  let config: string;
  let pins: Record<string, string>;

  beforeAll(async () => {
    [gateway, cell] = await Promise.all([
      startSshd({ user: 'dingogw', config: ['LogLevel DEBUG1'] }),
      startSshd({ user: 'dingocell', sudo: 'nopasswd' }),
    ]);
    work = mkdtempSync(join(tmpdir(), 'dingo-ssh-test-'));
    // The cell's user leaves marker files here: writable by all, sticky as /tmp is, so the ssh config in it is still only ours.
    chmodSync(work, 0o1777);
    // The cell IP is mapped to the loopback sshd, as an operator maps cells to a tunnel.
    config = join(work, 'config');
    writeFileSync(config, `Host ${CELL_IP}\n  HostName 127.0.0.1\n  Port ${cell.port}\n`);
    pins = { [`[127.0.0.1]:${gateway.port}`]: gateway.hostKeyFingerprint, [CELL_IP]: cell.hostKeyFingerprint };
  });
  afterAll(async () => {
    await Promise.all([ifStarted(gateway)?.stop(), ifStarted(cell)?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function options(extra: Partial<SshOptions> = {}): SshOptions {
    return {
      redactor: new Redactor(),
      gateway: { user: gateway.user, host: '127.0.0.1', port: gateway.port, identityFile: gateway.clientKeyFile },
      user: cell.user,
      identityFile: cell.clientKeyFile,
      sshConfigFile: config,
      knownHostsFile: join(work, 'none_known_hosts'),
      pinnedFingerprints: pins,
      home: work,
      agent: '',
      ...extra,
    };
  }

  it('runs a command on the cell through the gateway', async () => {
    const session = await createSshCellAccess(options()).open(CELL_IP);
    try {
      expect(session.where).toBe(`cell ${CELL_IP} via dingogw@127.0.0.1:${gateway.port}`);
      const r = await session.run({
        argv: ['sh', '-c', 'read x; echo "$(whoami) $x $1"; echo oops >&2; exit 4', 'sh', "it's a b"],
        stdin: 'hello\n',
        writes: false,
      });
      expect(r).toMatchObject({ exitCode: 4, stdout: "dingocell hello it's a b\n", stderr: 'oops\n' });
      const sudo = await session.run({ argv: ['id', '-u'], sudo: true, writes: false });
      expect(sudo.stdout.trim()).toBe('0');
      const env = await session.run({
        argv: ['sh', '-c', 'echo "$DINGO_A|$DINGO_B"; cat'],
        env: { DINGO_A: 'x y', DINGO_B: "q'z" },
        stdin: 'tail',
        writes: false,
      });
      expect(env.stdout).toBe("x y|q'z\ntail");
    } finally {
      await session.close();
    }
    expect(readFileSync(join(gateway.dir, 'sshd.log'), 'utf8')).toContain(`target 127.0.0.1 port ${cell.port}`);
  });

  it('accepts host keys from known_hosts, hashed and [host]:port', async () => {
    const known = join(work, 'known_hosts_ok');
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(`[127.0.0.1]:${cell.port}`).digest('base64')}`;
    writeFileSync(known, `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n${hashed} ${cell.hostPublicKey}\n`);
    const session = await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known })).open(CELL_IP);
    expect((await session.run({ argv: ['true'], writes: false })).exitCode).toBe(0);
    await session.close();
  });

  it('accepts a key recorded under the bare host name for another port, as OpenSSH does', async () => {
    const known = join(work, 'known_hosts_bare');
    writeFileSync(known, `127.0.0.1 ${gateway.hostPublicKey}\n127.0.0.1 ${cell.hostPublicKey}\n`);
    const session = await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known })).open(CELL_IP);
    expect((await session.run({ argv: ['true'], writes: false })).exitCode).toBe(0);
    await session.close();
  });

  it('refuses a changed host key, naming host, expected and presented fingerprints', async () => {
    const known = join(work, 'known_hosts_changed');
    // The cell's entry holds another machine's key.
    writeFileSync(known, `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n[127.0.0.1]:${cell.port} ${gateway.hostPublicKey}\n`);
    const err = (await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain(`HOST KEY CHANGED for dingocell@${CELL_IP} (127.0.0.1):${cell.port}`);
    expect(err.message).toContain(`expected ${gateway.hostKeyFingerprint}`);
    expect(err.message).toContain(`presented ssh-ed25519 ${cell.hostKeyFingerprint}`);

    const pinned = (await createSshCellAccess(options({ pinnedFingerprints: { ...pins, [CELL_IP]: gateway.hostKeyFingerprint } }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(pinned.message).toContain(`expected ${gateway.hostKeyFingerprint} (pinned), presented ssh-ed25519 ${cell.hostKeyFingerprint}`);
  });

  it('looks a host key up under its HostKeyAlias alone, without the port, as OpenSSH does', async () => {
    const aliased = join(work, 'config_alias');
    writeFileSync(aliased, `Host ${CELL_IP}\n  HostName 127.0.0.1\n  Port ${cell.port}\n  HostKeyAlias 10.244.8.22\n`);
    const known = join(work, 'known_hosts_alias');
    writeFileSync(known, `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n10.244.8.22 ${cell.hostPublicKey}\n`);
    const session = await createSshCellAccess(options({ sshConfigFile: aliased, pinnedFingerprints: {}, knownHostsFile: known })).open(
      CELL_IP,
    );
    expect((await session.run({ argv: ['true'], writes: false })).exitCode).toBe(0);
    await session.close();

    // An entry under the alias with the port is not the alias: the key is unknown, and the hint says how to pin it.
    const withPort = join(work, 'known_hosts_alias_port');
    writeFileSync(withPort, `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n[10.244.8.22]:${cell.port} ${cell.hostPublicKey}\n`);
    const err = (await createSshCellAccess(options({ sshConfigFile: aliased, pinnedFingerprints: {}, knownHostsFile: withPort }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toBe(
      `host key of dingocell@${CELL_IP} (127.0.0.1):${cell.port} is not known (ssh-ed25519 ${cell.hostKeyFingerprint}); refusing to connect`,
    );
    expect(err.hint).toContain(
      `pin it by adding the line \`10.244.8.22 ${cell.hostPublicKey}\` to ${withPort} (the file --known-hosts names)`,
    );
    expect(err.hint).toContain('The key is looked up as 10.244.8.22 (HostKeyAlias in the ssh config)');

    // Accepted on first use, the key is recorded under the alias alone.
    const tofu = join(work, 'known_hosts_alias_tofu');
    writeFileSync(tofu, `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n`);
    const asked: string[] = [];
    const ask = (host: string): Promise<boolean> => {
      asked.push(host);
      return Promise.resolve(true);
    };
    await (
      await createSshCellAccess(
        options({ sshConfigFile: aliased, pinnedFingerprints: {}, knownHostsFile: tofu, onUnknownHostKey: ask }),
      ).open(CELL_IP)
    ).close();
    expect(asked).toEqual(['10.244.8.22']);
    expect(readFileSync(tofu, 'utf8')).toContain(`\n10.244.8.22 ${cell.hostPublicKey}\n`);
  });

  it('says how to pin an unknown host key: the line to add, the file, and the settings that choose them', async () => {
    const known = join(work, 'known_hosts_pin');
    const err = (await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    const line = `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}`;
    expect(err.hint).toBe(
      `compare ${gateway.hostKeyFingerprint} with the machine's own key (on it: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); ` +
        `if they match, pin it by adding the line \`${line}\` to ${known} (the file --known-hosts names). ` +
        `The key is looked up as [127.0.0.1]:${gateway.port}; HostKeyAlias in the ssh config (Host 127.0.0.1) looks it up under another name`,
    );
    // Following the hint is enough for that hop.
    writeFileSync(known, `${line}\n[127.0.0.1]:${cell.port} ${cell.hostPublicKey}\n`);
    await (await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known })).open(CELL_IP)).close();

    // Without --known-hosts the hint names the default file and both ways to choose another.
    const byDefault = (await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: undefined }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(byDefault.hint).toContain(
      `to ${join(work, '.ssh', 'known_hosts')}, or to a file of your own given with --known-hosts FILE or UserKnownHostsFile in the ssh config.`,
    );

    // The common "trust everything" config: known_hosts in /dev/null, no checking. Keys are checked anyway, and the hint says so.
    const lax = join(work, 'lax_ssh_config');
    writeFileSync(lax, 'Host *\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n');
    const refused = (await createSshCellAccess(options({ sshConfigFile: lax, pinnedFingerprints: {}, knownHostsFile: undefined }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(refused).toBeInstanceOf(StepFailed);
    expect(refused.hint).toContain('to a known_hosts file of your own given with --known-hosts FILE (the ssh config reads /dev/null)');
    expect(refused.hint).toContain(
      "The ssh config's StrictHostKeyChecking no is not followed: dingo-recover connects to no machine whose key it cannot check.",
    );
  });

  it('a changed host key says which line to replace, and with what', async () => {
    const known = join(work, 'known_hosts_replace');
    writeFileSync(known, `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n[127.0.0.1]:${cell.port} ${gateway.hostPublicKey}\n`);
    const err = (await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err.hint).toContain(
      `then replace the line at ${known}:2 with \`[127.0.0.1]:${cell.port} ${cell.hostPublicKey}\`, or give a known_hosts file of your own with --known-hosts FILE`,
    );
    expect(err.hint).toContain(`give each its own HostKeyAlias in the ssh config (Host ${CELL_IP})`);
  });

  it('asks about an unknown host and records the key it accepts', async () => {
    const known = join(work, 'known_hosts_tofu');
    const asked: [string, string][] = [];
    const ask = (host: string, fp: string): Promise<boolean> => {
      asked.push([host, fp]);
      return Promise.resolve(true);
    };
    const session = await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known, onUnknownHostKey: ask })).open(
      CELL_IP,
    );
    await session.close();
    expect(asked).toEqual([
      [`[127.0.0.1]:${gateway.port}`, gateway.hostKeyFingerprint],
      [`[127.0.0.1]:${cell.port}`, cell.hostKeyFingerprint],
    ]);
    expect(readFileSync(known, 'utf8')).toContain(`[127.0.0.1]:${cell.port} ${cell.hostPublicKey}`);
    // Known now: no second question.
    await (
      await createSshCellAccess(options({ pinnedFingerprints: {}, knownHostsFile: known, onUnknownHostKey: ask })).open(CELL_IP)
    ).close();
    expect(asked).toHaveLength(2);

    const declined = (await createSshCellAccess(
      options({ pinnedFingerprints: {}, knownHostsFile: join(work, 'kh_declined'), onUnknownHostKey: () => Promise.resolve(false) }),
    )
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(declined.message).toMatch(/host key of dingogw@127\.0\.0\.1:\d+ \(SHA256:\S+\) was not accepted/);
    expect(existsSync(join(work, 'kh_declined'))).toBe(false);
  });

  it('follows an ssh config that maps cell IPs through a ProxyJump jumpbox', async () => {
    const mapped = join(work, 'config_mapped');
    writeFileSync(
      mapped,
      [
        'Host jumpbox',
        '  HostName 127.0.0.1',
        `  Port ${gateway.port}`,
        `  User ${gateway.user}`,
        `  IdentityFile ${gateway.clientKeyFile}`,
        'Host 10.58.* !10.58.0.1',
        '  HostName 127.0.0.1',
        `  Port ${cell.port}`,
        `  User ${cell.user}`,
        `  IdentityFile ${cell.clientKeyFile}`,
        '  ProxyJump jumpbox',
        'Host *',
        `  UserKnownHostsFile ${join(work, 'cells_known_hosts')}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(work, 'cells_known_hosts'),
      `[127.0.0.1]:${gateway.port} ${gateway.hostPublicKey}\n[127.0.0.1]:${cell.port} ${cell.hostPublicKey}\n`,
    );
    const session = await createSshCellAccess({ redactor: new Redactor(), sshConfigFile: mapped, home: work, agent: '' }).open(
      '10.58.111.151',
    );
    try {
      expect(session.where).toBe(`cell 10.58.111.151 via dingogw@jumpbox (127.0.0.1):${gateway.port}`);
      expect((await session.run({ argv: ['whoami'], writes: false })).stdout).toBe('dingocell\n');
    } finally {
      await session.close();
    }
  });

  it('reconnects once when the connection drops during a read, and reports a write as outcome unknown', async () => {
    const session = await createSshCellAccess(options()).open(CELL_IP);
    // Kills the sshd session serving this very command, the first time only.
    const dropOnce = (marker: string): string[] => [
      'sh',
      '-c',
      // The session process is sshd (OpenSSH 9.2) or sshd-session (9.8 on); never walk past PID 1.
      `if [ ! -e ${marker} ]; then touch ${marker}; p=$PPID; until case "$(cat /proc/$p/comm)" in sshd|sshd-session) true;; *) false;; esac; do p=$(cut -d' ' -f4 /proc/$p/stat); [ "\${p:-0}" -gt 1 ] || exit 97; done; kill -9 $p; sleep 5; fi; echo done`,
    ];
    try {
      const read = await session.run({ argv: dropOnce(join(work, 'read-marker')), writes: false });
      expect(read).toMatchObject({ exitCode: 0, stdout: 'done\n' });

      const err = (await session.run({ argv: dropOnce(join(work, 'write-marker')), writes: true }).catch((e: unknown) => e)) as StepFailed;
      expect(err).toBeInstanceOf(StepFailed);
      expect(err.message).toContain(`connection to cell ${CELL_IP} via dingogw@127.0.0.1:${gateway.port} lost during`);
      expect(err.message).toContain('outcome unknown');
      // The session still works afterwards.
      expect((await session.run({ argv: ['echo', 'again'], writes: false })).stdout).toBe('again\n');

      // A read whose output went on as it came is not run again: what came would come twice. The
      // connection drops once its first line has come here (a file says so; at most 10 s), not while sshd
      // may still hold it.
      const streamed: Buffer[] = [];
      const came = join(work, 'first-came');
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          streamed.push(chunk);
          if (Buffer.concat(streamed).toString().includes('first\n')) writeFileSync(came, '');
          done();
        },
      });
      const afterFirst = `echo first; i=0; until [ -e ${came} ] || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done; ${dropOnce(join(work, 'stream-marker'))[2]!}`;
      const lost = (await session
        .run({ argv: ['sh', '-c', afterFirst], writes: false, stdout: sink })
        .catch((e: unknown) => e)) as StepFailed;
      expect(lost).toBeInstanceOf(StepFailed);
      expect(lost.message).toContain('lost during');
      expect(Buffer.concat(streamed).toString()).toBe('first\n');
    } finally {
      await session.close();
    }
  });

  it('writes a large output where it is asked as it comes, waiting while that is full', async () => {
    const session = await createSshCellAccess(options()).open(CELL_IP);
    try {
      await expectSeqStreamed((spec) => session.run(spec), 1_200_000);
    } finally {
      await session.close();
    }
  });

  it('times out a command with exit code 124, and the command and what it started end on the cell', async () => {
    const session = await createSshCellAccess(options()).open(CELL_IP);
    // A duration of its own, to find its process: an SSH server leaves a command without a terminal running when its channel closes.
    const seconds = '7.2931';
    const sleeping = (): number[] =>
      allPids().filter((p) => procFile(p, 'cmdline').split('\0').filter(Boolean).join(' ') === `sleep ${seconds}`);
    try {
      const r = await session.run({ argv: ['sh', '-c', `sleep ${seconds}; echo late`], timeoutMs: 200, writes: false });
      expect(r).toMatchObject({ exitCode: 124, timedOut: true });
      expect(r.stdout).toBe('');
      await expect.poll(sleeping, { timeout: 3000, interval: 100 }).toEqual([]);
    } finally {
      await session.close();
    }
  });

  it('says so when authentication fails, without the key', async () => {
    const err = (await createSshCellAccess(options({ identityFile: gateway.clientKeyFile }))
      .open(CELL_IP)
      .catch((e: unknown) => e)) as StepFailed;
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain(
      `ssh to dingocell@${CELL_IP} (127.0.0.1):${cell.port}: authentication failed (offered ${gateway.clientKeyFile})`,
    );
    expect(err.message).not.toContain('PRIVATE KEY');
  });
});

describe.skipIf(!sshdAvailable)('sudo that needs a password (real sudo)', () => {
  let cell: Sshd;
  let work: string;
  beforeAll(async () => {
    cell = await startSshd({ user: 'dingonopw', sudo: 'password' });
    work = mkdtempSync(join(tmpdir(), 'dingo-ssh-sudo-'));
    writeFileSync(join(work, 'config'), `Host ${CELL_IP}\n  HostName 127.0.0.1\n  Port ${cell.port}\n`);
  });
  afterAll(async () => {
    await ifStarted(cell)?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('fails with what the account needs', async () => {
    const session = await createSshCellAccess({
      redactor: new Redactor(),
      user: cell.user,
      identityFile: cell.clientKeyFile,
      sshConfigFile: join(work, 'config'),
      pinnedFingerprints: { [CELL_IP]: cell.hostKeyFingerprint },
      home: work,
      agent: '',
    }).open(CELL_IP);
    try {
      const err = (await session.run({ argv: ['id', '-u'], sudo: true, writes: false }).catch((e: unknown) => e)) as StepFailed;
      expect(err).toBeInstanceOf(StepFailed);
      expect(err.message).toBe(`sudo on cell ${CELL_IP} needs a password, so \`id -u\` could not run`);
      expect(err.hint).toContain('NOPASSWD');
      expect(err.hint).toContain('bosh_sudoers');
    } finally {
      await session.close();
    }
  });
});
