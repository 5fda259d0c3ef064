/**
 * Long waits on an outside system, said while they last: a request with no answer for a few seconds
 * is named (the server, the request, the attempt) to whoever holds the screen, a run's step screen or,
 * when no one listens, standard error, where a command's own messages go.
 */
import { invocation } from './invocation.js';

type WaitListener = (text: string) => void;

/** Tells the latest listener that a request waits, in words naming what it waits on; with none, standard error. */
export function sayWaiting(text: string): void {
  const { waitListeners, stderr } = invocation();
  const listener = waitListeners.at(-1);
  if (listener) listener(text);
  else stderr.write(`dingo-recover: ${text}\n`);
}

/** Waits are told to `listener` until the function returned is called. */
export function onWaiting(listener: WaitListener): () => void {
  const { waitListeners } = invocation();
  waitListeners.push(listener);
  return () => {
    const at = waitListeners.lastIndexOf(listener);
    if (at >= 0) waitListeners.splice(at, 1);
  };
}

/** Says, once `ms` passed and the wait is not over, what it waits on (`text()` is read then); the returned function ends the wait. */
export function sayWaitingAfter(ms: number, text: () => string): () => void {
  const timer = setTimeout(() => {
    sayWaiting(text());
  }, ms);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
}
