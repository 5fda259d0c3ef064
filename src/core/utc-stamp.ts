/**
 * A UTC timestamp for names (quarantine prefixes, folders moved aside, signatures): 20260317T180520Z;
 * with `millis`, 20260317T180520.123Z, for names that may be made twice in a second.
 */
export function utcStamp(d: Date, opts: { millis?: boolean } = {}): string {
  const stamp = d.toISOString().replace(/[-:]/g, '');
  return opts.millis ? stamp : stamp.replace(/\.\d+Z$/, 'Z');
}
