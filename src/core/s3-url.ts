/**
 * s3:// URLs of wal-e archives. A prefix is always returned ending in "/" (or
 * empty for the bucket root) so that listing `prefix` never matches a sibling
 * such as `backups/GUID/wal2/`.
 */
import { UsageError } from './errors.js';

export interface S3Location {
  bucket: string;
  prefix: string;
}

const EXAMPLE = 's3://BUCKET/backups/GUID/wal/';

export function parseS3Url(url: string): S3Location {
  const text = url.trim();
  const bad = (what: string, hint?: string): never => {
    throw new UsageError(`"${text}" is not a valid S3 archive URL: ${what}`, {
      hint: hint ?? `write it as ${EXAMPLE}`,
    });
  };
  if (text === '') bad('it is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!scheme) bad('it has no s3:// scheme');
  if (scheme![1]!.toLowerCase() !== 's3') {
    bad(`the scheme is "${scheme![1]}", not "s3"`, `use the s3:// form the wal-e logs print, e.g. ${EXAMPLE}`);
  }
  const rest = text.slice(scheme![0].length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') bad('the bucket name is empty');
  const bucketProblem = checkBucketName(bucket);
  if (bucketProblem) bad(`the bucket name "${bucket}" ${bucketProblem}`);
  if (/[?#]/.test(path)) bad('it has a query or fragment (? or #)');
  if (path === '') return { bucket, prefix: '' };
  const parts = path.replace(/\/$/, '').split('/');
  for (const part of parts) {
    if (part === '') bad('it has an empty path segment ("//")', 'remove the doubled slash');
    if (part === '.' || part === '..') bad(`it has a "${part}" path segment`, 'give the archive prefix literally, without . or ..');
  }
  return { bucket, prefix: `${parts.join('/')}/` };
}

export function formatS3Url(bucket: string, prefix: string): string {
  return `s3://${bucket}/${prefix}`;
}

/** The s3:// URL of a location. */
export function urlOf(loc: S3Location): string {
  return formatS3Url(loc.bucket, loc.prefix);
}

/** S3 bucket naming rules; returns what is wrong, or null. */
function checkBucketName(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (/[A-Z]/.test(name)) return 'has upper-case letters (S3 bucket names are lower-case)';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only contain lower-case letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  return null;
}
