/**
 * The scratch account: a system account of its own, no login shell, not root's; a program run through
 * `isolated` runs as it, with no capability, in a network namespace of its own with no interface up;
 * a tool not run as root refuses to start a scratch server rather than run one with the operator's powers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
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
