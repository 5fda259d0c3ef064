/** The bundled scenario copied into `dir`, its cells' kernels without the cgroups named. */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './cli.js';

/**
 * A cell kernel without a cgroup: Docker 1.11 runs the container without the limit it carries and
 * its client warns (daemon/daemon_unix.go verifyPlatformContainerSettings). Returns the scenario's folder.
 */
export function scenarioKernelLacking(dir: string, lacks: ('pids' | 'memory' | 'cpu')[]): string {
  const scenario = join(dir, 'scenario');
  cpSync(resolve(ROOT, 'fixtures/seed-003'), scenario, { recursive: true });
  const yaml = readFileSync(join(scenario, 'scenario.yaml'), 'utf8').replace(
    /^( {6}dockerVersion: 1\.11\.0)$/gm,
    `$1\n      kernelLacks: [${lacks.join(', ')}]`,
  );
  writeFileSync(join(scenario, 'scenario.yaml'), yaml);
  return scenario;
}
