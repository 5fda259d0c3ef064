/**
 * A Docker Engine socket that accepts and never answers, or answers its headers and stalls: each
 * call fails naming the socket and the call, past the deadline the test gives, never hangs.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { dockerEngine, engineTimeoutMs } from '../../src/systems/docker-engine.js';
import { startStalledServer, type StalledServer } from '../support/stalled-server.js';
import { tempDirs } from '../support/temp-dirs.js';

const tempDir = tempDirs('engine-deadline-');
const servers: StalledServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function stalledEngine(stall: 'silent' | 'headers' | 'trickle'): Promise<{ socket: string; server: StalledServer }> {
  const socket = join(tempDir(), 'docker.sock');
  const server = await startStalledServer(stall, { socketPath: socket, contentType: 'application/json', intervalMs: 20 });
  servers.push(server);
  return { socket, server };
}

describe('Docker Engine deadlines', () => {
  for (const stall of ['silent', 'headers', 'trickle'] as const) {
    it(`listing volumes from an Engine that stalls (${stall}) fails naming the socket and the call`, async () => {
      const { socket, server } = await stalledEngine(stall);
      const err = await dockerEngine(`unix://${socket}`, { timeoutMs: 300 })
        .listVolumes()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`the Docker Engine at ${socket} gave no answer within 0.3 s to list volumes`);
      expect((err as UsageError).hint).toContain('DINGO_RECOVER_DOCKER_TIMEOUT');
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]).toMatch(/^GET \/volumes/);
    });
  }

  it('gives a stop its grace period on top of the deadline', async () => {
    const { socket } = await stalledEngine('silent');
    await expect(dockerEngine(`unix://${socket}`, { timeoutMs: 200 }).stopContainer('abc', 0.2)).rejects.toThrow(
      `the Docker Engine at ${socket} gave no answer within 0.4 s to stop container abc`,
    );
  });

  it('takes its deadline from DINGO_RECOVER_DOCKER_TIMEOUT, refusing one that is not a duration', () => {
    expect(engineTimeoutMs({})).toBe(60_000);
    expect(engineTimeoutMs({ DINGO_RECOVER_DOCKER_TIMEOUT: '5m' })).toBe(300_000);
    expect(() => engineTimeoutMs({ DINGO_RECOVER_DOCKER_TIMEOUT: 'later' })).toThrow(
      'DINGO_RECOVER_DOCKER_TIMEOUT "later" is not a duration',
    );
  });
});
