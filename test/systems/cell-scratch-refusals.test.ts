/**
 * A cell's Docker refusing one of the drill container's hardening options, in the words each client
 * and daemon use: Docker 1.11's mflag client (`flag provided but not defined: --pids-limit`), the cobra
 * client of 1.13 on (`unknown flag: --tmpfs`), a kernel without the cgroup (`WARNING: Your kernel does
 * not support pids limit capabilities, pids limit discarded.`, daemon/daemon_unix.go
 * verifyPlatformContainerSettings), and a daemon that cannot apply a security option. The warning that
 * swap is not limited leaves the memory limit in force and is no refusal.
 */
import { describe, expect, it } from 'vitest';
import { hardening, HardeningRefused, refusedOption } from '../../src/systems/cell-hardening.js';

const options = hardening({});

describe('the hardening a cell refuses is named', () => {
  it('an option the client does not know', () => {
    expect(refusedOption("flag provided but not defined: --pids-limit\nSee 'docker run --help'.\n", options)).toEqual({
      option: '--pids-limit',
      said: 'flag provided but not defined: --pids-limit',
    });
    expect(refusedOption('unknown flag: --tmpfs\n', options)?.option).toBe('--tmpfs /tmp');
  });

  it('a limit the kernel discards, but not the swap warning', () => {
    expect(refusedOption('WARNING: Your kernel does not support pids limit capabilities, pids limit discarded.\n', options)?.option).toBe(
      '--pids-limit',
    );
    expect(refusedOption('WARNING: Your kernel does not support memory limit capabilities. Limitation discarded.\n', options)?.option).toBe(
      '--memory',
    );
    expect(
      refusedOption('WARNING: Your kernel does not support swap limit capabilities, memory limited without swap.\n', options),
    ).toBeNull();
  });

  it('a security option the daemon refuses', () => {
    const said = 'docker: Error response from daemon: Invalid --security-opt: "no-new-privileges".\n';
    expect(refusedOption(said, options)?.option).toBe('--security-opt no-new-privileges');
    expect(refusedOption('docker: Error response from daemon: Unknown capability to drop: "ALL".\n', options)?.option).toBe(
      options.find((o) => o.args[0] === '--cap-drop')?.option,
    );
  });

  it('a daemon error that only holds the letters of an option is no refusal of one', () => {
    for (const said of [
      'docker: Error response from daemon: could not escape the container name.\n',
      'docker: Error response from daemon: no space left: capacity of /var/lib/docker reached.\n',
    ])
      expect(refusedOption(said, options), said).toBeNull();
  });

  it('an option the operator agreed to go without is left out, the others kept', () => {
    const args = hardening({ without: ['--pids-limit'] }).flatMap((h) => h.args);
    expect(args).not.toContain('--pids-limit');
    expect(args).toEqual(expect.arrayContaining(['--net', 'none', '--cap-drop', 'ALL', '--read-only', '--memory', '--cpu-shares']));
  });

  it('the refusal says what was refused, that nothing was written, and how to go on', () => {
    const e = new HardeningRefused('--pids-limit', 'cell 10.58.111.150', 'flag provided but not defined: --pids-limit');
    expect(e.message).toBe(
      'the Docker on cell 10.58.111.150 refused the hardening option --pids-limit: flag provided but not defined: --pids-limit',
    );
    expect(e.hint).toMatch(/^nothing was written to the cell\. Without --pids-limit .* the drill does not go on without it/);
  });
});
