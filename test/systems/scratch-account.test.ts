/**
 * The scratch account: a system account of its own, no login shell, not root's; a program run through
 * `isolated` runs as it, with no capability, in a network namespace of its own with no interface up and
 * every file system read-only but the folders it is given;
 * a tool not run as root refuses to start a scratch server rather than run one with the operator's powers.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { isolated, lookupUser, SCRATCH_ACCOUNT, scratchAccount } from '../../src/systems/scratch-account.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the scratch account', () => {
  it('is a system account of its own with no login shell, and what runs isolated as it has no network and no capability', () => {
    const account = scratchAccount();
    expect(account).toEqual(lookupUser(SCRATCH_ACCOUNT));
    expect(account.uid).toBeGreaterThan(0);
    expect(account.uid).toBeLessThan(1000);
    expect(account.gid).not.toBe(0);
    const entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${SCRATCH_ACCOUNT}:`))!
      .split(':');
    expect(entry[6]).toMatch(/nologin$/);

    const [program, ...args] = isolated(
      ['sh', '-c', 'id -u; id -G; readlink /proc/self/ns/net; grep -E "^Cap(Eff|Bnd)" /proc/self/status; tail -n +3 /proc/net/dev'],
      account,
      [],
    );
    const seen = execFileSync(program!, args).toString().trim().split('\n');
    expect(seen[0]).toBe(String(account.uid));
    expect(seen[1]).toBe(String(account.gid));
    expect(seen[2]).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(seen[3]).toMatch(/^CapEff:\s+0+$/);
    expect(seen[4]).toMatch(/^CapBnd:\s+0+$/);
    // Only loopback exists there, as a new namespace makes it: no interface reaches another host.
    expect(seen.slice(5).map((l) => l.trim().split(':')[0])).toEqual(['lo']);
  });

  it('writes nowhere but the folders it is given and a private /dev/shm: every other file system is read-only to it', () => {
    const account = scratchAccount();
    const writable = mkdtempSync(join(tmpdir(), 'dingo-scratch-writable-'));
    const beside = mkdtempSync(join(tmpdir(), 'dingo-scratch-beside-'));
    try {
      chmodSync(writable, 0o777);
      chmodSync(beside, 0o777);
      const tries = [
        join(writable, 'ok'),
        join(beside, 'no'),
        '/tmp/dingo-scratch-no',
        '/var/tmp/dingo-scratch-no',
        '/dev/shm/dingo-scratch-private',
      ];
      const script = tries.map((f) => `(: > ${f}) 2>/dev/null && echo wrote ${f} || echo refused ${f}`).join('; ');
      const [program, ...args] = isolated(['sh', '-c', script], account, [writable]);
      const seen = execFileSync(program!, args).toString().trim().split('\n');
      expect(seen).toEqual([`wrote ${tries[0]}`, `refused ${tries[1]}`, `refused ${tries[2]}`, `refused ${tries[3]}`, `wrote ${tries[4]}`]);
      expect(readdirSync(writable)).toEqual(['ok']);
      expect(readdirSync(beside)).toEqual([]);
      // The /dev/shm it wrote was its own, gone with it.
      expect(existsSync(tries[4]!)).toBe(false);
    } finally {
      rmSync(writable, { recursive: true, force: true });
      rmSync(beside, { recursive: true, force: true });
    }
  });

  it('is refused, saying to run as root, when the tool is not root', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const err = (() => {
      try {
        scratchAccount();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toMatch(
      /runs as the dingo-scratch account in a network namespace of its own, which only root can arrange/,
    );
    expect((err as StepFailed).hint).toMatch(/run dingo-recover as root/);
  });
});
