/**
 * Credentials given inside a URL flag (`--es-url https://user:PASSWORD@host`,
 * `--s3-endpoint https://host/?X-Amz-Signature=…`): registered as secrets at once,
 * so no writer prints or journals them, and taken out of the URL, so the value
 * that is journaled and shown has none. The credentials stay in memory only.
 */
import { isSecretName, type Redactor } from './redact.js';

interface UrlCredentials {
  /** Decoded user name of `user:password@`, or of a bare `token@`; null when the URL had none. */
  username: string | null;
  /** Decoded password of `user:password@`; null when the URL had none. */
  password: string | null;
  /** Secret query parameters taken out, in order, with decoded names and values. */
  query: { name: string; value: string }[];
  /** The URL exactly as given, credentials and all: for the connection only, never for the journal or the screen. */
  original: string;
}

export interface StrippedUrl {
  /** The URL as given minus its user information and its secret query parameters: safe to journal and show. */
  url: string;
  /** What was taken out; null when the URL held no credentials (then `url` is the value unchanged). */
  credentials: UrlCredentials | null;
  /** One line for the operator saying what was taken out of the flag and where it went; null when nothing was. */
  notice: string | null;
}

/** Query parameter names that carry a secret, besides those isSecretName() already knows (token, password, access_key…). */
const SECRET_QUERY_NAME = /signature|^sig$|apikey|api-key|accesskey|^pwd$|^pass$|^auth$|^key$|awsaccesskeyid/i;

/** A user name alone (`https://TOKEN@host`) is taken for a token only from this length on: `elastic@` or `admin@` is not a secret. */
const MIN_TOKEN_USERNAME = 16;

/** Percent-decoded, or as written when it is not valid percent-encoding. */
export function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function decodeQuery(text: string): string {
  return decode(text.replace(/\+/g, ' '));
}

function isSecretQueryName(name: string): boolean {
  return isSecretName(name) || SECRET_QUERY_NAME.test(name);
}

/**
 * Where the user information of a URL is: `scheme://USERINFO@host…`, or `USERINFO@host…` without a scheme.
 * The authority ends at the first `/`, `?` or `#`; within it the last `@` ends the user information. A
 * password holding an unencoded `/` or `?` makes a URL unparsable: then the last `@` before any `#` ends it.
 */
function userinfoSpan(value: string): { start: number; end: number } | null {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(value);
  const start = scheme ? scheme[0].length : 0;
  const rest = value.slice(start);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  let at = authority.lastIndexOf('@');
  if (at < 0 && scheme && !parses(value)) {
    const hash = rest.indexOf('#');
    at = (hash < 0 ? rest : rest.slice(0, hash)).lastIndexOf('@');
  }
  return at < 0 ? null : { start, end: start + at };
}

function parses(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the credentials out of a URL given to `flag` (`--es-url`, `--s3-endpoint`, `--clusterdata`…).
 * Registers with `redactor` the `user:password` pair, the password,
 * a token given as the user name, and the values of secret query parameters (`access_key`, `token`,
 * `password`, `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`…), each as written and
 * decoded, and the Basic authorization header's base64 of `user:password`. Returns the URL without them
 * (the rest of it byte for byte as given), and the credentials to keep in memory.
 */
export function stripUrlCredentials(flag: string, value: string, redactor: Redactor): StrippedUrl {
  let url = value;
  let username: string | null = null;
  let password: string | null = null;
  const taken: string[] = [];

  const span = userinfoSpan(url);
  if (span) {
    const written = url.slice(span.start, span.end);
    const colon = written.indexOf(':');
    const writtenUser = colon < 0 ? written : written.slice(0, colon);
    const user = decode(writtenUser);
    if (colon >= 0) {
      const writtenPassword = written.slice(colon + 1);
      username = user;
      password = decode(writtenPassword);
      const pair = `${username}:${password}`;
      for (const s of [written, pair, writtenPassword, password, Buffer.from(pair).toString('base64')]) redactor.register(s);
      taken.push('user:password');
    } else if (user.length >= MIN_TOKEN_USERNAME) {
      username = user;
      for (const s of [written, user]) redactor.register(s);
      taken.push('the token given as user name');
    }
    // A short user name alone (`elastic@host`) is no secret: it stays in the URL.
    if (username !== null) url = url.slice(0, span.start) + url.slice(span.end + 1);
  }

  const query: UrlCredentials['query'] = [];
  const q = url.indexOf('?');
  if (q >= 0) {
    const hash = url.indexOf('#', q);
    const end = hash < 0 ? url.length : hash;
    const kept: string[] = [];
    for (const param of url.slice(q + 1, end).split('&')) {
      const eq = param.indexOf('=');
      const name = decodeQuery(eq < 0 ? param : param.slice(0, eq));
      if (eq < 0 || !isSecretQueryName(name)) {
        kept.push(param);
        continue;
      }
      const written = param.slice(eq + 1);
      const decoded = decodeQuery(written);
      redactor.register(written);
      redactor.register(decoded);
      query.push({ name, value: decoded });
      taken.push(`query parameter ${name}`);
    }
    if (query.length) {
      const rest = kept.filter(Boolean).join('&');
      url = url.slice(0, q) + (rest ? `?${rest}` : '') + url.slice(end);
    }
  }

  if (taken.length === 0) return { url: value, credentials: null, notice: null };
  return {
    url,
    credentials: { username, password, query, original: value },
    notice: `${flag}: took ${taken.join(', ')} out of the URL; the journal records ${url}, and the credentials are kept in memory only`,
  };
}
