/**
 * Where the S3 of a command is (endpoint, region, addressing). Credentials never travel this way:
 * they stay in the environment's credential chain.
 */
export interface S3Flags {
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  /** `--s3-timeout`: a duration ("60s", "2m"). */
  s3Timeout?: string;
}

/** wal-e's form of an endpoint, PROTOCOL+FORMAT://HOST[:PORT], as WALE_S3_ENDPOINT gives it (wal_e/blobstore/s3/calling_format.py). */
const WALE_FORM = /^(https?)\+(path|virtualhost|subdomain):\/\//i;

/**
 * An endpoint as the SDK takes it, and the addressing it names: a URL passes as it is; wal-e's form
 * (`https+path://host:port`, which Dingo's containers are given) becomes `https://host:port`, path-style
 * for `path` and virtual-host style for `virtualhost` and `subdomain`.
 */
export function s3EndpointOf(given: string): { url: string; pathStyle?: boolean } {
  const m = WALE_FORM.exec(given);
  if (!m) return { url: given };
  return { url: `${m[1]!.toLowerCase()}://${given.slice(m[0].length)}`, pathStyle: m[2]!.toLowerCase() === 'path' };
}
