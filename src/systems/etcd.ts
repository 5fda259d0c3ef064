/**
 * etcd's v2 keys API (what Patroni v0.90 in Dingo's containers uses): GET and DELETE
 * /v2/keys/<key>. It runs over plain HTTP to a base URL, or over any stream a
 * factory opens, such as an SSH port forward from the cell (no curl on the cell).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { StepFailed, messageOf } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import type { EtcdKeys } from '../core/seams.js';
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

interface EtcdNode {
  key?: string;
  value?: string;
  dir?: boolean;
  /** A directory's children, when the answer lists them (a GET of a directory). */
  nodes?: EtcdNode[];
}

interface EtcdResponse {
  status: number;
  body: {
    action?: string;
    node?: EtcdNode;
    errorCode?: number;
    message?: string;
    cause?: string;
  };
  /** The answer's body as it came (for a message about an answer of an unexpected shape). */
  text: string;
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
    const res = await this.call('GET', key);
    if (res.status === 404 && res.body.errorCode === KEY_NOT_FOUND) return null;
    if (res.status !== 200) throw this.failure('GET', key, res);
    if (res.body.node?.dir) {
      throw new StepFailed(`${this.where}: ${key} is a directory, not a key`, {
        hint: 'name the key itself, e.g. /service/<guid>/initialize',
      });
    }
    return res.body.node?.value ?? '';
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
      new StepFailed(`${this.where}: GET ${dir} answered ${what}: ${shownAnswer(res.text, this.opts.redactor)}`, {
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

  async delete(key: string): Promise<'deleted' | 'absent'> {
    const res = await this.call('DELETE', key);
    if (res.status === 404 && res.body.errorCode === KEY_NOT_FOUND) return 'absent';
    if (res.status !== 200) throw this.failure('DELETE', key, res);
    return 'deleted';
  }

  private call(method: 'GET' | 'DELETE', key: string): Promise<EtcdResponse> {
    const path = '/v2/keys/' + key.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    return this.send(method, path);
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
            const text = Buffer.concat(chunks).toString('utf8');
            let body: EtcdResponse['body'];
            try {
              body = text ? readBody(JSON.parse(text)) : {};
            } catch {
              body = { message: text.slice(0, 200) };
            }
            resolve({ status: res.statusCode ?? 0, body, text });
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

function readNode(node: JsonRecord, depth = 0): EtcdNode {
  const key = stringAt(node, 'key');
  const value = stringAt(node, 'value');
  const children = Array.isArray(node.nodes) && depth === 0 ? node.nodes : undefined;
  return {
    ...(key !== undefined ? { key } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(node.dir === true ? { dir: true } : {}),
    // A child that is not an object is kept as an empty node: the listing then refuses it.
    ...(children ? { nodes: children.map((c) => (isRecord(c) ? readNode(c, depth + 1) : {})) } : {}),
  };
}

/** An answer for a message: secrets and URL passwords out, control characters escaped, one line, bounded. */
function shownAnswer(text: string, redactor: Redactor): string {
  const clean = oneLine(redactor.redact(text.replace(/(:\/\/[^/\s"@:]*:)[^@\s"/]*@/g, '$1[REDACTED]@')));
  return clean.length > SHOWN_ANSWER_CHARS ? `${clean.slice(0, SHOWN_ANSWER_CHARS)}… (${text.length} characters)` : clean || '(empty)';
}
