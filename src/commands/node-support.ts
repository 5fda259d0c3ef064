/**
 * The Node.js releases this tool runs on, and the one line it says when the Node in use is past its end of
 * life (in place of the AWS SDK's seven-line warning, which it switches off): what to install instead.
 */

/** End of life of each Node.js major (nodejs.org release schedule), as UTC days. */
const END_OF_LIFE: Record<number, string> = {
  20: '2026-04-30',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
};

/** The line to show for Node `version` on `today`, or undefined while it is supported. */
export function nodeEndOfLifeLine(version: string, today: Date): string | undefined {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  const end = END_OF_LIFE[major];
  if (end === undefined || today.toISOString().slice(0, 10) <= end) return undefined;
  const supported = Object.entries(END_OF_LIFE)
    .filter(([m, day]) => Number(m) % 2 === 0 && day > today.toISOString().slice(0, 10))
    .map(([m]) => m);
  const instead = supported.length ? `install Node.js ${supported.join(' or ')} (LTS)` : 'install a current LTS Node.js';
  return `dingo-recover: Node.js ${major} reached its end of life on ${end} and gets no security fixes: ${instead}`;
}
