/** A docker command on the case's cell, run as the tool reaches containers: over the case's SSH (jumpbox, then the cell), with sudo. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { quote } from '../../../src/core/command-line.js';
import { FAKE_DOCKER } from '../fake-docker/world.js';
import type { LiveCase } from './case-types.js';
import { CELL_IP } from './shared.js';

const execFileP = promisify(execFile);

/** `docker DOCKER_ARGS` on the cell with `input` on its standard input: what it printed. */
export async function onTheCell(c: LiveCase, dockerArgs: string[], input: string): Promise<string> {
  const sshConfig = c.platformArgs[c.platformArgs.indexOf('--ssh-config') + 1]!;
  const remote = quote(['sudo', '-n', FAKE_DOCKER, '--host', c.dockerHost, ...dockerArgs]);
  const child = execFileP('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', CELL_IP, remote], { encoding: 'utf8' });
  child.child.stdin!.end(input);
  return (await child).stdout;
}
