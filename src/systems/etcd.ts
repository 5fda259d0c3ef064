/**
 * etcd's v2 keys API (what Patroni v0.90 in Dingo's containers uses): GET, PUT and DELETE
 * /v2/keys/<key>, DELETE with `?prevValue=` (compare-and-delete, as Patroni's own
 * `delete_leader` does: patroni/etcd.py). A PUT carries its value in the query (`?value=`), which
 * etcd reads as it reads a form body (v2http client.go parseKeyRequest: ParseForm, FormValue), so
 * a request is whole at its headers. A GET of a key with a TTL answers its `ttl` (seconds
 * left) and `expiration`. It runs over plain HTTP to a base URL, or over any stream a factory
 * opens, such as an SSH port forward from the cell (no curl on the cell). An answer that is not
 * etcd v2's shape stops the step with the answer shown, escaped: nothing is decided on it.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { StepFailed, messageOf } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import type { EtcdKeys, EtcdNode } from '../core/seams.js';
import { isRecord, numberAt, recordAt, stringAt, type JsonRecord } from '../core/json.js';
import { oneLine } from '../core/display.js';

type ConnectionFactory = () => Promise<Duplex>;

export interface EtcdConnection {
  /** `host:port` as the container env gives it (ETCD_HOST_PORT). */
  hostPort: string;
  connect: ConnectionFactory;
  /** Where the connection starts, for messages ("cell 10.58.111.150"). */
  via?: string;
}

export interface EtcdOptions {
  timeoutMs?: number;
  /** The run's redactor, for its error messages. */
  redactor: Redactor;
}

/** etcd v2's "Key not found". */
const KEY_NOT_FOUND = 100;
/** etcd v2's "Compare failed" (412), answered to a DELETE whose prevValue the key no longer holds. */
const COMPARE_FAILED = 101;

/** A node of an answer as it came: its fields kept only when of the documented type. */
interface RawNode {
  key?: string;
  value?: string;
  dir?: boolean;
  ttl?: number;
  expiration?: string;
  /** A directory's children, when the answer lists them (a GET of a directory). */
  nodes?: RawNode[];
}

interface EtcdResponse {
  status: number;
  /** The answer's text, as it came: shown (escaped) when it is not etcd v2's shape. */
  raw: string;
  /** False when the answer was no JSON object. */
  json: boolean;
  body: {
    action?: string;
    node?: RawNode;
    errorCode?: number;
    message?: string;
    cause?: string;
  };
}

/** Of an answer shown in a message, at most this much. */
const SHOWN_ANSWER_CHARS = 400;

export class EtcdV2Keys implements EtcdKeys {
  private readonly label?: string;
  private readonly base: URL;
  private readonly connection?: EtcdConnection;

  constructor(
    target: string | EtcdConnection,
    private readonly opts: EtcdOptions,
  ) {
    if (typeof target === 'string') {
      this.base = new URL(/^https?:\/\//.test(target) ? target : `http://${target}`);
      if (this.base.protocol !== 'http:')
        throw new StepFailed(`etcd URL ${target}: only http is supported (Dingo's etcd listens on plain HTTP)`);
      this.label = `etcd ${this.base.host}`;
    } else {
      this.connection = target;
      this.base = new URL(`http://${target.hostPort}`);
    }
  }

  /** Read each time: a connection may change its route (through the jumpbox instead of the cell). */
  get where(): string {
    if (this.label) return this.label;
    return `etcd ${this.connection!.hostPort}${this.connection!.via ? ` via ${this.connection!.via}` : ''}`;
  }

  async get(key: string): Promise<string | null> {
    return (await this.read(key))?.value ?? null;
  }

  async read(key: string): Promise<EtcdNode | null> {
    const res = await this.call('GET', key);
    if (res.status === 404 && res.body.errorCode === KEY_NOT_FOUND) return null;
    if (res.status !== 200) throw this.failure('GET', key, res);
    const node = res.body.node;
    if (node?.dir) {
      throw new StepFailed(`${this.where}: ${key} is a directory, not a key`, {
        hint: 'name the key itself, e.g. /service/<guid>/initialize',
      });
    }
    if (!res.json || node?.value === undefined || (node.key !== undefined && node.key !== plainKey(key)))
      throw this.unexpected('GET', key, res);
    return {
      value: node.value,
      ...(node.ttl !== undefined ? { ttl: node.ttl } : {}),
      ...(node.expiration !== undefined ? { expiration: node.expiration } : {}),
    };
  }

  /**
   * GET of a directory (etcd v2 lists its direct children under `node.nodes`): each child key with
   * its value; null when the directory does not exist. An answer that is no directory listing, or
   * a child that is a directory or has no value, is a surprise: the step stops, the answer shown.
   */
  async list(dir: string): Promise<Record<string, string> | null> {
    const res = await this.call('GET', dir);
    if (res.status === 404 && res.body.errorCode === KEY_NOT_FOUND) return null;
    if (res.status !== 200) throw this.failure('GET', dir, res);
    const node = res.body.node;
    const surprise = (what: string): StepFailed =>
      new StepFailed(`${this.where}: GET ${dir} answered ${what}: ${shownAnswer(res.raw, this.opts.redactor)}`, {
        hint: `nothing was changed; ${dir} should be the directory Patroni keeps (etcd v2 keys API): check that ETCD_HOST_PORT names the platform's etcd (curl http://HOST:PORT/v2/keys${dir} from the cell), then resume`,
      });
    if (!node?.dir) throw surprise('a key, not a directory');
    const out: Record<string, string> = {};
    for (const child of node.nodes ?? []) {
      if (child.dir || child.key === undefined || child.value === undefined) throw surprise('a child that is not a key with a value');
      out[child.key] = child.value;
    }
    return out;
  }

  async delete(key: string, opts: { prevValue?: string } = {}): Promise<'deleted' | 'absent' | 'changed'> {
    const res = await this.call(
      'DELETE',
      key,
      opts.prevValue === undefined ? '' : `?${new URLSearchParams({ prevValue: opts.prevValue }).toString()}`,
    );
    if (res.status === 404 && res.body.errorCode === KEY_NOT_FOUND) return 'absent';
    if (res.status === 412 && res.body.errorCode === COMPARE_FAILED && opts.prevValue !== undefined) return 'changed';
    if (res.status !== 200) throw this.failure('DELETE', key, res);
    if (!res.json || res.body.action !== (opts.prevValue === undefined ? 'delete' : 'compareAndDelete'))
      throw this.unexpected('DELETE', key, res);
    return 'deleted';
  }

  async set(key: string, value: string): Promise<void> {
    const res = await this.call('PUT', key, `?${new URLSearchParams({ value }).toString()}`);
    // 201 when the key was made, 200 when it held a value before.
    if (res.status !== 200 && res.status !== 201) throw this.failure('PUT', key, res);
    if (!res.json || res.body.action !== 'set' || res.body.node?.value !== value) throw this.unexpected('PUT', key, res);
  }

  private call(method: 'GET' | 'PUT' | 'DELETE', key: string, query = ''): Promise<EtcdResponse> {
    return this.send(method, `/v2/keys${canonical(key)}${query}`);
  }

  private async send(method: string, path: string): Promise<EtcdResponse> {
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    const options: RequestOptions = {
      method,
      host: this.base.hostname,
      port: this.base.port || 80,
      path,
      headers: { host: this.base.host, accept: 'application/json' },
    };
    if (this.connection) {
      const connect = this.connection.connect;
      options.createConnection = (_, done) => {
        // Node's http accepts a failure without a socket, which its typings do not say.
        const failed = done as (err: Error) => void;
        connect().then(
          (stream) => {
            done(null, stream);
          },
          (err: unknown) => {
            failed(err instanceof Error ? err : new Error(String(err)));
          },
        );
        return undefined;
      };
    }
    try {
      return await new Promise<EtcdResponse>((resolve, reject) => {
        const req: ClientRequest = httpRequest(options, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (b: Buffer) => chunks.push(b));
          res.on('error', reject);
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(raw);
            } catch {
              parsed = undefined;
            }
            const json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
            resolve({ status: res.statusCode ?? 0, raw, json, body: json ? readBody(parsed) : { message: raw.slice(0, 200) } });
          });
        });
        const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        req.on('close', () => {
          clearTimeout(timer);
        });
        req.on('error', reject);
        req.end();
      });
    } catch (err) {
      const from = this.connection?.via ? ` from ${this.connection.via}` : '';
      // A refused port forward carries the server's reason as its cause.
      const cause = err instanceof StepFailed && err.cause instanceof Error ? err.cause : err;
      const code = stringAt(cause, 'code');
      throw new StepFailed(
        `etcd at ${this.base.host} unreachable${from}: ${code ? `${code} ` : ''}${this.opts.redactor.redact(messageOf(cause))}`,
        {
          hint:
            err instanceof StepFailed && err.hint
              ? err.hint
              : 'check ETCD_HOST_PORT in the container environment and that etcd runs (bosh instances of the Dingo deployment)',
          cause: err,
        },
      );
    }
  }

  /** An answer of the right status whose body is not etcd v2's: shown as it came, escaped, and nothing decided on it. */
  private unexpected(method: string, key: string, res: EtcdResponse): StepFailed {
    return new StepFailed(
      `${this.where}: ${method} ${key} answered ${res.status} with what etcd v2 does not answer: ${shownAnswer(res.raw, this.opts.redactor)}`,
      {
        hint: "nothing was changed on it: check ETCD_HOST_PORT in the container's environment names Dingo's etcd (its v2 keys API at /v2/keys), and what answers at that address",
      },
    );
  }

  private failure(method: string, key: string, res: EtcdResponse): StepFailed {
    const detail = [res.body.errorCode !== undefined ? `errorCode ${res.body.errorCode}` : '', res.body.message ?? '', res.body.cause ?? '']
      .filter(Boolean)
      .join(' ');
    return new StepFailed(`${this.where}: ${method} ${key} answered ${res.status}${detail ? ` (${detail})` : ''}`, {
      hint:
        res.body.errorCode === 102 ? 'the key is a directory; name a leaf key' : 'check the etcd cluster health (etcdctl cluster-health)',
    });
  }
}

/** The fields of an etcd v2 answer, each kept only when it has the documented type. */
function readBody(json: unknown): EtcdResponse['body'] {
  const node = recordAt(json, 'node');
  const errorCode = numberAt(json, 'errorCode');
  const action = stringAt(json, 'action');
  const message = stringAt(json, 'message');
  const cause = stringAt(json, 'cause');
  return {
    ...(action !== undefined ? { action } : {}),
    ...(node ? { node: readNode(node) } : {}),
    ...(errorCode !== undefined ? { errorCode } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(cause !== undefined ? { cause } : {}),
  };
}

function readNode(node: JsonRecord, depth = 0): RawNode {
  const key = stringAt(node, 'key');
  const value = stringAt(node, 'value');
  const ttl = numberAt(node, 'ttl');
  const expiration = stringAt(node, 'expiration');
  const children = Array.isArray(node.nodes) && depth === 0 ? node.nodes : undefined;
  return {
    ...(key !== undefined ? { key } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(node.dir === true ? { dir: true } : {}),
    ...(ttl !== undefined ? { ttl } : {}),
    ...(expiration !== undefined ? { expiration } : {}),
    // A child that is not an object is kept as an empty node: the listing then refuses it.
    ...(children ? { nodes: children.map((c) => (isRecord(c) ? readNode(c, depth + 1) : {})) } : {}),
  };
}

/** An answer for a message: secrets and URL passwords out, control characters escaped, one line, bounded. */
function shownAnswer(text: string, redactor: Redactor): string {
  const clean = oneLine(redactor.redact(text.replace(/(:\/\/[^/\s"@:]*:)[^@\s"/]*@/g, '$1[REDACTED]@')));
  return clean.length > SHOWN_ANSWER_CHARS ? `${clean.slice(0, SHOWN_ANSWER_CHARS)}… (${text.length} characters)` : clean || '(empty)';
}

/** `/service/<guid>/leader`: the key as etcd names it in its answers. */
function plainKey(key: string): string {
  return '/' + key.split('/').filter(Boolean).join('/');
}

/** The key in a request's path, each part URL-encoded. */
function canonical(key: string): string {
  return '/' + key.split('/').filter(Boolean).map(encodeURIComponent).join('/');
}
