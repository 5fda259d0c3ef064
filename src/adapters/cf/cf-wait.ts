/**
 * Waiting for a service instance's last operation to end: polls with growing pauses, and turns a
 * failed operation or a passed deadline into a StepFailed that says what to do.
 */
import { quote } from '../../core/command-line.js';
import { StepFailed } from '../../core/errors.js';
import type { ServiceStatus } from './cf-types.js';
import { pollDelays } from '../../core/poll-delays.js';

export interface WaitForServiceOptions {
  /** The longest pause between polls (the first is 1 s; see pollDelays). */
  intervalMs: number;
  deadlineMs: number;
  onPoll?: (status: ServiceStatus, poll: { attempt: number; elapsedMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** The command that abandons the run waiting, for the hint of a failed create (default: `dingo-recover abandon RUN-ID`). */
  abandon?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `readStatus` until the last operation succeeds; a failed operation or the deadline throws
 * StepFailed. The pauses follow `pollDelays`: 1 s at first, growing to `intervalMs`.
 */
export async function waitForOperation(
  name: string,
  guid: string,
  opts: WaitForServiceOptions,
  readStatus: () => Promise<ServiceStatus>,
): Promise<ServiceStatus> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const start = now();
  const delays = pollDelays(opts.intervalMs);
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    const status = await readStatus();
    // A fake sleep does not move the clock; counting the time slept still ends the wait.
    const elapsedMs = Math.max(now() - start, slept);
    opts.onPoll?.(status, { attempt, elapsedMs });
    if (status.state === 'succeeded') return status;
    if (status.state === 'failed') throw operationFailed(name, guid, status, opts.abandon ?? 'dingo-recover abandon RUN-ID');
    if (elapsedMs >= opts.deadlineMs) throw deadlinePassed(name, guid, status, elapsedMs, opts.deadlineMs);
    const pause = Math.min(delays.next().value, opts.deadlineMs - elapsedMs);
    await sleep(pause);
    slept += pause;
  }
}

function operationFailed(name: string, guid: string, status: ServiceStatus, abandon: string): StepFailed {
  return new StepFailed(
    `Service instance ${name} (${guid}) ended in "${status.type} failed": ${status.description || '(the broker gave no description)'}`,
    {
      hint: `Read the broker's logs for ${guid}. Nothing but this instance was made for the recovery yet: delete it (${quote(['cf', 'delete-service', name])}), then abandon this run (${abandon}) and start a new one; a resume would wait on the deleted instance.`,
    },
  );
}

function deadlinePassed(name: string, guid: string, status: ServiceStatus, elapsedMs: number, deadlineMs: number): StepFailed {
  return new StepFailed(
    `Service instance ${name} (${guid}) is still "${status.type} ${status.state}" after ${Math.round(elapsedMs / 1000)} s (deadline ${Math.round(deadlineMs / 1000)} s).`,
    {
      hint: `The broker may still be working (the Cloud Controller polls it every 60 s): check \`${quote(['cf', 'service', name])}\`, then resume the run to keep waiting. It may also have failed for good: a Dingo broker from v0.9 answers the Cloud Controller's polls with an error once a provisioning failed, and the Cloud Controller then keeps the instance "create in progress" for up to a week (broker_client_max_async_poll_duration_minutes). If it stays so, read the broker's logs for ${guid} (its scheduler's and last-operation lines) before waiting longer.`,
    },
  );
}
