/**
 * What the operator is told when S3 cannot be reached for a reason of this side: a proxy refusing
 * its credentials (a real proxy on loopback answering 407, before real moto), an endpoint whose
 * certificate is not trusted (a real TLS server, self-signed), a profile that does not resolve, a
 * region from a profile. No request leaves loopback: the profile's AWS endpoint is reached through the proxy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { createS3Store } from '../../../src/systems/s3/index.js';
import { listenOnLoopback, loopbackCertificate, stopHttp } from '../../support/loopback.js';
import { startMoto, type Moto } from '../../support/moto.js';

const PROXY_PASSWORD = 'pr0xy-Passw0rd-9';
const dir = mkdtempSync(join(tmpdir(), 'dingo-s3-messages-'));
let moto: Moto | undefined;
let proxy: Server | undefined;
let proxyPort = 0;
let tlsServer: HttpsServer | undefined;
let tlsPort = 0;
const tunnels: Socket[] = [];

beforeAll(async () => {
  const started = await startMoto();
  moto = started;
  // A proxy that wants credentials it is never given: 407 to a request and to a CONNECT alike.
  proxy = createServer((_req, res) => {
    res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"', 'content-type': 'text/html' }).end('<html>407</html>');
  });
  proxy.on('connect', (_req, socket: Socket) => {
    tunnels.push(socket);
    socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n');
  });
  proxyPort = await listenOnLoopback(proxy);
  const { key, cert } = loopbackCertificate(dir);
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.writeHead(200).end());
  tlsServer = tls;
  tlsPort = await listenOnLoopback(tls);
});
afterAll(async () => {
  for (const s of tunnels) s.destroy();
  if (proxy) await stopHttp(proxy);
  if (tlsServer) await stopHttp(tlsServer);
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `fn` with process.env changed (undefined: unset) for the SDK's own lookups, then put back. */
async function withEnv<T>(changes: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
  apply(changes);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** The error a HEAD of s3://b/k gives. */
async function headFails(store: ReturnType<typeof createS3Store>) {
  return store.head({ bucket: 'b', key: 'k' }).then(
    () => {
      throw new Error('the HEAD succeeded');
    },
    (err: unknown) => err as Error & { hint?: string },
  );
}

const motoUp = (): Moto => {
  if (!moto) throw new Error('moto is not started');
  return moto;
};
const proxyUrl = () => `http://bob:${PROXY_PASSWORD}@127.0.0.1:${proxyPort}`;

describe('S3 messages about this side', () => {
  it('names the proxy (not its password) and its credentials when it answers 407, before moto', async () => {
    const env = { HTTP_PROXY: proxyUrl(), NO_PROXY: '' };
    const redactor = new Redactor();
    const store = createS3Store({ ...motoUp().options, maxAttempts: 2, redactor }, env);
    const err = await headFails(store);
    expect(err.message).toBe(
      `the proxy http://127.0.0.1:${proxyPort} (HTTP_PROXY) refused head on s3://b/k at s3 ${motoUp().endpoint}: HTTP 407 Proxy Authentication Required`,
    );
    expect(err.hint).toMatch(/^check the proxy credentials: the user and password in HTTP_PROXY/);
    expect(err.hint).not.toMatch(/throttl/i);
    expect(`${err.message} ${err.hint} ${store.where}`).not.toContain(PROXY_PASSWORD);
    expect(redactor.redact(PROXY_PASSWORD)).not.toContain(PROXY_PASSWORD);
  });

  it('names HTTPS_PROXY when the tunnel to an https endpoint is refused with 407', async () => {
    const store = createS3Store(
      { redactor: new Redactor(), endpoint: 'https://s3.example.test', forcePathStyle: true, maxAttempts: 1 },
      { HTTPS_PROXY: proxyUrl() },
    );
    const err = await withEnv({ AWS_ACCESS_KEY_ID: 'AKIAPROXYTEST', AWS_SECRET_ACCESS_KEY: 'proxy-test-secret-key' }, () =>
      headFails(store),
    );
    expect(err.message).toContain(`the proxy http://127.0.0.1:${proxyPort} (HTTPS_PROXY) refused head on s3://b/k`);
    expect(err.hint).toContain('in HTTPS_PROXY');
  });

  it('names the untrusted certificate and AWS_CA_BUNDLE, not throttling', async () => {
    const endpoint = `https://127.0.0.1:${tlsPort}`;
    const creds = { AWS_ACCESS_KEY_ID: 'AKIATLSTEST', AWS_SECRET_ACCESS_KEY: 'tls-test-secret-key' };
    const err = await withEnv(creds, () =>
      headFails(createS3Store({ redactor: new Redactor(), endpoint, forcePathStyle: true, maxAttempts: 1 }, {})),
    );
    // Node 24 adds its own advice to the error's words ("; if the root CA is installed locally, try … --use-system-ca").
    expect(err.message.startsWith(`the certificate of s3 ${endpoint} is not trusted for head on s3://b/k: self-signed certificate`)).toBe(
      true,
    );
    expect(err.message).toMatch(/ \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
    expect(err.hint).toMatch(/set AWS_CA_BUNDLE to the PEM file of that authority/);
    // A bundle of another authority: the hint says it does not hold the one that signed it.
    const other = loopbackCertificate(mkdtempSync(join(dir, 'other-')));
    const withOther = await withEnv(creds, () =>
      headFails(createS3Store({ redactor: new Redactor(), endpoint, forcePathStyle: true, maxAttempts: 1 }, { AWS_CA_BUNDLE: other.cert })),
    );
    expect(withOther.message).toMatch(/is not trusted .*\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
    expect(withOther.hint).toContain(`AWS_CA_BUNDLE (${other.cert}) holds no certificate authority that signed it`);
  });

  it('keeps that AWS_PROFILE could not be resolved, naming the variable', async () => {
    const config = join(dir, 'config');
    writeFileSync(config, '[profile other]\nregion = us-east-1\n');
    const err = await withEnv(
      {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: 'nosuch',
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
      () =>
        headFails(
          createS3Store(
            { redactor: new Redactor(), endpoint: motoUp().endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 },
            { AWS_PROFILE: 'nosuch' },
          ),
        ),
    );
    expect(err.message).toMatch(/^could not resolve profile "nosuch" \(AWS_PROFILE\) to AWS credentials for head on s3:\/\/b\/k: /);
    expect(err.hint).toMatch(/AWS_PROFILE must name a profile/);
    expect(err.hint).toMatch(/unset AWS_PROFILE/);
  });

  it('shows the region a profile gives, not us-east-1', async () => {
    const config = join(dir, 'config-region');
    const credentials = join(dir, 'credentials-region');
    writeFileSync(config, '[profile far]\nregion = ap-southeast-2\n');
    writeFileSync(credentials, '[far]\naws_access_key_id = AKIAFARPROFILE\naws_secret_access_key = far-profile-secret-key\n');
    const profileEnv = {
      AWS_PROFILE: 'far',
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    // AWS's own endpoint, reached only through the proxy on loopback, which refuses it.
    const store = createS3Store({ redactor: new Redactor(), maxAttempts: 1 }, { AWS_PROFILE: 'far', HTTPS_PROXY: proxyUrl() });
    const err = await withEnv(profileEnv, () => headFails(store));
    expect(store.where).toBe(`s3 ap-southeast-2 via proxy http://127.0.0.1:${proxyPort}`);
    expect(err.message).toContain('refused head on s3://b/k at s3 ap-southeast-2: HTTP 407');
    expect(err.message).not.toContain('us-east-1');
  });
});
