import { invocation } from '../../core/invocation.js';
/** Whether the operator is at a terminal: questions are asked there, and the screen is drawn for it. */

/** Whether a stream is a terminal (a stream that is not one may lack `isTTY` altogether). */
export function isTerminal(stream: object): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

/** Questions can be asked: stdin and stdout are a terminal, and this is not CI. */
export function interactive(): boolean {
  return isTerminal(invocation().stdin) && isTerminal(invocation().stdout) && invocation().env.CI !== 'true';
}
