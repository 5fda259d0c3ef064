/** The test servers clean up after a setup that fails half-way, and a missing tool is named. */
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leftoverCount, stopLeftovers } from '../support/leftovers.js';
import { needTool, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

describe.skipIf(!sshdAvailable)('a setup that fails half-way', () => {
  it('leaves the server that did start registered, and stopping the leftovers stops it and removes its folder', async () => {
    const before = leftoverCount();
    const [good, bad] = await Promise.allSettled([
      startSshd({ user: 'dingoleft' }),
      startSshd({ user: 'dingoleft', config: ['NoSuchSshdOption yes'] }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    const started = (good as PromiseFulfilledResult<Sshd>).value;
    // Only the server that started is left: the one that failed took its folder and sudo rule with it.
    expect(leftoverCount()).toBe(before + 1);
    expect(await listens(started.port)).toBe(true);
    await stopLeftovers();
    expect(leftoverCount()).toBe(0);
    expect(await listens(started.port)).toBe(false);
    expect(existsSync(started.dir)).toBe(false);
  });

  it('a server stopped by its test is no leftover', async () => {
    const before = leftoverCount();
    const sshd = await startSshd({ user: 'dingoleft' });
    expect(leftoverCount()).toBe(before + 1);
    await sshd.stop();
    expect(leftoverCount()).toBe(before);
  });
});

it('a missing tool is named with the package that has it', () => {
  expect(() => {
    needTool('dingo-no-such-tool', 'some-package');
  }).toThrow('dingo-no-such-tool is not installed: the ssh tests need it (apt-get install some-package)');
});
