/**
 * The suite's CPU per test file (test/support/file-cpu.ts, cpu-reporter.ts): read from /proc as proc(5)
 * lays it out, counting the child processes a file waited for, and printed as the files that cost the most.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSoFar } from '../support/file-cpu.js';
import { cpuTable } from '../support/cpu-reporter.js';

/** A stat line of proc(5) whose command name holds ") " and whose times are given in clock ticks. */
function statLine(times: { utime: number; stime: number; cutime: number; cstime: number }): string {
  const before = ['S', '1', '2', '3', '0', '-1', '4194560', '10', '20', '0', '0'];
  const after = ['20', '0', '1', '0', '12345', '1000', '200'];
  return `4242 (evil) name (x) ${[...before, times.utime, times.stime, times.cutime, times.cstime, ...after].join(' ')}\n`;
}

describe('cpuSoFar', () => {
  it("adds this process's user and system time and its reaped children's, whatever its command name holds", () => {
    expect(cpuSoFar(statLine({ utime: 150, stime: 50, cutime: 300, cstime: 100 }))).toBe(6);
  });

  it('counts a child process once it was waited for', () => {
    const before = cpuSoFar();
    const r = spawnSync('sh', ['-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'], { stdio: 'ignore' });
    expect(r.status).toBe(0);
    expect(cpuSoFar() - before).toBeGreaterThan(0.05);
  });
});

describe('cpuTable', () => {
  const module = (file: string, cpuSeconds?: number) => ({
    moduleId: `/repo/${file}`,
    meta: () => (cpuSeconds === undefined ? {} : { cpuSeconds }),
  });

  it('names the costliest files first, at most twelve, after what all measured files cost', () => {
    const modules = [
      module('test/a.test.ts', 1.25),
      module('test/b.test.ts', 40),
      module('test/unmeasured.test.ts'),
      ...Array.from({ length: 12 }, (_, i) => module(`test/many-${String(i).padStart(2, '0')}.test.ts`, 2)),
    ];
    const lines = cpuTable(modules, '/repo').trimEnd().split('\n');
    expect(lines[0]).toBe("CPU by test file (its worker's and the child processes it waited for): 65 s in 14 files; the most:");
    expect(lines.slice(1, 3)).toEqual(['   40.0 s  test/b.test.ts', '    2.0 s  test/many-00.test.ts']);
    expect(lines).toHaveLength(13);
    expect(lines.join('\n')).not.toContain('test/a.test.ts');
    expect(lines.join('\n')).not.toContain('unmeasured');
  });

  it('prints nothing when no file was measured', () => {
    expect(cpuTable([module('test/x.test.ts')], '/repo')).toBe('');
  });
});
