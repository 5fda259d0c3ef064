/** A UTC timestamp for names (quarantine prefixes, folders moved aside, signatures): 20260317T180520Z. */
export function utcStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
