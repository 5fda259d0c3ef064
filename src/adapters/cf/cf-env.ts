import { invocation } from '../../core/invocation.js';
/**
 * The environment every cf command runs with. CF_COLOR=false: no colour codes in the text that is
 * parsed. CF_TRACE: an operator's CF_TRACE=true (or another value Go's strconv.ParseBool reads as
 * true, as cf 7 and 8 do) prints every HTTP request and response into that same output, so `cf curl`
 * answers no longer start with their JSON; it is turned off. CF_TRACE naming a file is left alone.
 */
const TRACE_TO_OUTPUT = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export function cfEnv(inherited: Readonly<Record<string, string | undefined>> = invocation().env): Record<string, string> {
  const trace = inherited.CF_TRACE;
  return trace !== undefined && TRACE_TO_OUTPUT.has(trace.trim()) ? { CF_COLOR: 'false', CF_TRACE: 'false' } : { CF_COLOR: 'false' };
}
