import { invocation } from '../../core/invocation.js';
/**
 * The environment every cf command runs with. CF_COLOR=false: no colour codes in the text that is
 * parsed. CF_TRACE=false: a trace prints every HTTP request and response into that same output, so
 * `cf curl` answers no longer start with their JSON. It is turned on by an operator's CF_TRACE=true (or
 * another value Go's strconv.ParseBool reads as true, as cf 7 and 8 do), and by `cf config --trace true`
 * in the config file when CF_TRACE is unset (util/configv3 Verbose(): the file's setting counts only when
 * the environment does not override it), so a CF_TRACE that is unset or a boolean is set to false.
 * CF_TRACE naming a file is left alone: the trace goes to that file.
 */
const BOOLEAN = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);

export function cfEnv(inherited: Readonly<Record<string, string | undefined>> = invocation().env): Record<string, string> {
  const trace = inherited.CF_TRACE?.trim() ?? '';
  return trace === '' || BOOLEAN.has(trace) ? { CF_COLOR: 'false', CF_TRACE: 'false' } : { CF_COLOR: 'false' };
}
