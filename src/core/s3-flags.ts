/**
 * How a child process of ours (the drill's restore_command, wal-fetch) reaches the same S3 as
 * its parent. Credentials never travel this way: they stay in the environment's credential chain.
 */
export interface S3Flags {
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
}

/** The flags as command-line arguments, to hand on to a child (restore_command). */
export function s3FlagArgs(flags: S3Flags): string[] {
  const args: string[] = [];
  if (flags.s3Endpoint) args.push('--s3-endpoint', flags.s3Endpoint);
  if (flags.s3Region) args.push('--s3-region', flags.s3Region);
  if (flags.s3PathStyle) args.push('--s3-path-style');
  return args;
}
