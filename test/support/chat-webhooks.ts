/**
 * Chat webhooks on loopback that check a body as their service does, and answer as it does:
 * `/slack` (Slack: a `text`, else 400 no_text), `/teams` (a Teams Workflow: one Adaptive Card
 * attachment, else 400), `/discord` (Discord: a `content` of 1 to 2000 characters, else 400;
 * 204 when sent), `/generic` (any JSON). Each body accepted is kept with its path.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback, stopHttp } from './loopback.js';

export interface ChatWebhooks {
  base: string;
  /** The bodies accepted, each with the path it was posted to. */
  accepted: { path: string; body: Record<string, unknown> }[];
  /** The refusals: path, status and why. */
  refused: { path: string; status: number; why: string }[];
  stop(): Promise<void>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why Slack refuses `body`, or null. */
function slackRefusal(body: Record<string, unknown>): string | null {
  return typeof body.text === 'string' && body.text.trim() !== '' ? null : 'no_text';
}

/** Why a Teams Workflow refuses `body` (its "Post card" action takes Adaptive Cards only), or null. */
function teamsRefusal(body: Record<string, unknown>): string | null {
  const attachments = body.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) return 'the body holds no attachments: only Adaptive Cards are accepted';
  for (const a of attachments as unknown[]) {
    if (!isRecord(a) || a.contentType !== 'application/vnd.microsoft.card.adaptive') return 'an attachment is no Adaptive Card';
    const card = a.content;
    if (!isRecord(card) || card.type !== 'AdaptiveCard') return 'content.type is not AdaptiveCard';
    if (typeof card.version !== 'string' || !/^1\.[0-6]$/.test(card.version))
      return `card version ${String(card.version)} is not supported`;
    if (!Array.isArray(card.body) || card.body.length === 0) return 'the card has no body';
    for (const el of card.body as unknown[]) {
      if (!isRecord(el) || typeof el.type !== 'string') return 'a card element has no type';
      if (el.type === 'TextBlock' && typeof el.text !== 'string') return 'a TextBlock has no text';
      if (
        el.type === 'FactSet' &&
        !(Array.isArray(el.facts) && el.facts.every((f) => isRecord(f) && typeof f.title === 'string' && typeof f.value === 'string'))
      )
        return 'a FactSet fact is not {title, value} strings';
    }
  }
  return null;
}

/** Why Discord refuses `body`, or null. */
function discordRefusal(body: Record<string, unknown>): string | null {
  const content = body.content;
  if (typeof content !== 'string' || content === '') return 'Cannot send an empty message';
  if (content.length > 2000) return 'content: Must be 2000 or fewer in length.';
  return null;
}

const RULES: Record<string, (body: Record<string, unknown>) => string | null> = {
  '/slack': slackRefusal,
  '/teams': teamsRefusal,
  '/discord': discordRefusal,
  '/generic': () => null,
};

/** The text of a request's body. */
export function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      resolve(text);
    });
    req.on('error', reject);
  });
}

export async function startChatWebhooks(): Promise<ChatWebhooks> {
  const accepted: ChatWebhooks['accepted'] = [];
  const refused: ChatWebhooks['refused'] = [];
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      const path = req.url ?? '';
      const rule = RULES[path];
      const refuse = (status: number, why: string) => {
        refused.push({ path, status, why });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(why);
      };
      if (!rule) {
        refuse(404, 'no such webhook');
        return;
      }
      if (req.method !== 'POST' || !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        refuse(400, 'invalid_payload');
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        refuse(400, 'invalid_payload');
        return;
      }
      if (!isRecord(body)) {
        refuse(400, 'invalid_payload');
        return;
      }
      const why = rule(body);
      if (why) {
        refuse(400, why);
        return;
      }
      accepted.push({ path, body });
      res.writeHead(path === '/slack' ? 200 : path === '/teams' ? 202 : 204).end(path === '/slack' ? 'ok' : undefined);
    });
  });
  const port = await listenOnLoopback(server);
  return { base: `http://127.0.0.1:${port}`, accepted, refused, stop: () => stopHttp(server) };
}
