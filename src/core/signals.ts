/** How a signal that stopped a run is said to the operator and in the record. */
const WORDS: Record<string, string> = {
  SIGINT: 'Ctrl-C',
  SIGTERM: 'SIGTERM',
  SIGHUP: 'hang-up: the terminal or SSH session closed',
  SIGPIPE: 'the output was closed',
};

/** The signals a run stops on as interrupted (on the record, resumable). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** "SIGHUP (hang-up: the terminal or SSH session closed)", or the name alone where that says it all. */
export function signalWords(signal: string): string {
  const words = WORDS[signal];
  return words === undefined || words === signal ? signal : `${signal} (${words})`;
}
