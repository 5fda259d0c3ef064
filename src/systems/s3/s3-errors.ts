/**
 * S3 errors turned into messages an operator can act on. The SDK's own
 * messages ("Access Denied", "UnknownError") do not say which object or what
 * to check; these do, and they pass through redaction before leaving.
 */
import { StepFailed } from '../../core/errors.js';
import { Redactor } from '../../core/redact.js';
import { formatS3Url } from '../../core/s3-url.js';
import { numberAt, recordAt, stringAt } from '../../core/json.js';
import { errorCode, httpStatus } from '../../core/object-missing.js';
import type { S3Place } from './s3-client.js';

const POLICY_HINT = 'check the AWS credentials/policy (s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject)';

export function s3Url(bucket: string, key = ''): string {
  return formatS3Url(bucket, key);
}

/** Node's codes for a TLS certificate it does not trust. */
const CERTIFICATE_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/**
 * What went wrong before S3 itself answered (the proxy, the endpoint's certificate, the profile),
 * with what to do; undefined for an answer of S3's.
 */
function reachFailure(err: unknown, op: string, url: string, place: S3Place): { message: string; hint: string } | undefined {
  const detail = place.redactor.redact(stringAt(err, 'message') ?? String(err));
  if (httpStatus(err) === 407) {
    const proxy = place.proxy ? `the proxy ${place.proxy} (${place.proxyVariable})` : 'a proxy between here and S3';
    return {
      message: `${proxy} refused ${op} on ${url} at s3 ${place.target}: HTTP 407 Proxy Authentication Required`,
      hint: `check the proxy credentials: the user and password in ${place.proxyVariable ?? 'HTTPS_PROXY'} (http://USER:PASSWORD@host:port, the password URL-encoded), as aws-cli and curl take them`,
    };
  }
  const tlsCode = stringAt(err, 'code') ?? '';
  if (CERTIFICATE_CODES.test(tlsCode)) {
    return {
      message: `the certificate of ${place.where} is not trusted for ${op} on ${url}: ${detail} (${tlsCode})`,
      hint: place.caBundle
        ? `AWS_CA_BUNDLE (${place.caBundle}) holds no certificate authority that signed it: point AWS_CA_BUNDLE at the PEM file of the authority that signs the S3 endpoint`
        : 'when the S3 endpoint has a certificate of a private certificate authority, set AWS_CA_BUNDLE to the PEM file of that authority (as aws-cli takes it), then try again',
    };
  }
  if (isMissingCredentials(err) && place.profile) {
    return {
      message: `could not resolve profile "${place.profile}" (AWS_PROFILE) to AWS credentials for ${op} on ${url}: ${detail}`,
      hint: `AWS_PROFILE must name a profile with credentials in ~/.aws/credentials or ~/.aws/config (or the files AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name): fix the name, add the profile, or unset AWS_PROFILE and give AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
    };
  }
  return undefined;
}

/** A StepFailed naming the operation and the object, with what to do about it. */
export function describeS3Error(
  err: unknown,
  op: string,
  bucket: string,
  key = '',
  place: S3Place = { target: '', where: 's3', redactor: new Redactor() },
): StepFailed {
  const code = errorCode(err);
  const status = httpStatus(err);
  const url = s3Url(bucket, key);
  const where = place.where;
  const detail = place.redactor.redact(stringAt(err, 'message') ?? String(err));
  const attempts = numberAt(recordAt(err, '$metadata'), 'attempts');
  const reach = reachFailure(err, op, url, place);
  let message: string;
  let hint: string | undefined;
  if (reach) {
    ({ message, hint } = reach);
  } else if (isMissingCredentials(err)) {
    message = `no AWS credentials were found for ${op} on ${url}`;
    hint =
      "S3 credentials come from the AWS credential chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE with ~/.aws/credentials, or an instance role. Reuse the service container's (the AWS_* variables that docker inspect shows on the cell), then try again.";
  } else if (code === 'AccessDenied' || code === 'Forbidden' || (status === 403 && !isCredentialCode(code))) {
    message = `access denied to ${url}: ${POLICY_HINT}`;
    hint = 'Reuse the credentials of the service container (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from its environment).';
  } else if (isCredentialCode(code)) {
    message = `S3 rejected the credentials while trying ${op} on ${url} (${code}): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
    hint = 'The key pair must belong to the account that owns the backup bucket.';
  } else if (code === 'NoSuchBucket') {
    message = `bucket "${bucket}" does not exist at ${where}: check the bucket name in the S3 URL (${url})`;
    hint = 'The WAL bucket is WAL_S3_BUCKET in the service container environment.';
  } else if (code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
    message = `bucket "${bucket}" is in another region than ${where} (${code}): set the region of the bucket`;
  } else if (errorCode(err) === 'TimeoutError') {
    const tried = attempts && attempts > 1 ? ` (${attempts} attempts)` : '';
    message = `${where} did not answer in time for ${op} on ${url}${tried}: ${detail}`;
    hint =
      'The store accepted the connection but stalled. Check the S3 endpoint, proxy and network; if it is only slow, give it longer with --s3-timeout (per attempt, default 20s; 5 attempts), then try again.';
  } else if (errorCode(err) === 'EndpointError') {
    message = `S3 ${op} on ${url} was not sent: ${detail}`;
    hint =
      "Give --s3-endpoint as a URL (https://HOST[:PORT]) or in wal-e's form (https+path://HOST[:PORT]), and check AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL, which stand in for it; nothing reached S3.";
  } else if (status === undefined && isNetworkError(err)) {
    message = `cannot reach ${where} for ${op} on ${url}: ${detail}`;
    hint = 'Check the S3 endpoint and region, and that this machine can reach them (proxy, firewall, DNS).';
  } else {
    const tried = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';
    message = `S3 ${op} on ${url} failed${tried}: ${code || 'error'}${status ? ` (HTTP ${status})` : ''}: ${detail}`;
    hint = 'Throttling and server errors are retried with backoff; if this persists, check the endpoint and network, then try again.';
  }
  return new StepFailed(place.redactor.redact(message), { hint, cause: err });
}

function isNetworkError(err: unknown): boolean {
  const code = stringAt(err, 'code') ?? '';
  return (
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code) ||
    errorCode(err) === 'TimeoutError'
  );
}

/** The SDK found no credentials in its chain (nothing was sent). */
function isMissingCredentials(err: unknown): boolean {
  return (
    stringAt(err, 'name') === 'CredentialsProviderError' ||
    /could not load credentials from any providers/i.test(stringAt(err, 'message') ?? '')
  );
}

function isCredentialCode(code: string): boolean {
  return code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || code === 'ExpiredToken' || code === 'InvalidToken';
}
