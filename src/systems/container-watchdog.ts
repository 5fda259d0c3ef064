/**
 * A container's watchdog: a small process of ours, in a session of its own (a Ctrl-C or a closed
 * terminal does not reach it), holding the read end of a pipe whose other end only the tool holds.
 * Once the tool removed the container it says so down the pipe, and the watchdog ends quietly. When
 * the pipe closes without a word (the tool ended however it did: a signal, a crash, SIGKILL), the
 * watchdog removes the container itself (DELETE /containers/{id}?force=true, which kills what runs in
 * it, as `docker rm -f` does; the Engine API's own call) and ends. So no scratch container outlives the
 * tool by more than that request.
 */
import { spawn } from 'node:child_process';

const WATCHDOG = `
const http = require('node:http');
const [socketPath, id] = process.argv.slice(1);
let disarmed = false;
process.stdin.on('data', () => { disarmed = true; });
process.stdin.on('end', () => {
  if (disarmed) process.exit(0);
  const req = http.request({ socketPath, method: 'DELETE', path: '/containers/' + encodeURIComponent(id) + '?force=true' }, (res) => {
    res.resume();
    res.on('end', () => process.exit(0));
  });
  req.setTimeout(60000, () => process.exit(1));
  req.on('error', () => process.exit(1));
  req.end();
});
process.stdin.resume();
`;

/** Starts the watchdog of container `id` on the Engine at `socketPath`; `disarm` once the container is removed. */
export function containerWatchdog(socketPath: string, id: string): { disarm(): void } {
  const child = spawn(process.execPath, ['-e', WATCHDOG, socketPath, id], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: {},
  });
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  // Neither keeps the tool running: the pipe is there to close with it.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    disarm() {
      child.stdin.end('removed\n');
    },
  };
}
