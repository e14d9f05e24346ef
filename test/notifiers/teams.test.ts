import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { MASK, maskUrlFields } from '../../src/notifiers/secret-mask.ts';
import { ADAPTIVE_CARD_TYPE, type TeamsConfig, teams, teamsConfigSchema } from '../../src/notifiers/teams.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, startReceiver } from './receiver.ts';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }) };
const FLOW_PATH =
  '/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zx8Yw7Vu6';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const isString = (v: unknown): v is string => typeof v === 'string';
const TEXT_COLORS = ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'];

type Card = { body: Record<string, unknown>[]; actions: Record<string, unknown>[] } & Record<string, unknown>;

/** What is wrong with a request against the Workflows webhook's message + Adaptive Card shape. */
function requestProblem(req: ReceivedRequest): string | undefined {
  if (req.method !== 'POST' || req.url !== FLOW_PATH) return 'WorkflowNotFound';
  if (req.headers['content-type'] !== 'application/json') return 'UnsupportedMediaType';
  const body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  if (body.type !== 'message' || !Array.isArray(body.attachments) || body.attachments.length !== 1) {
    return 'type "message" with one attachment';
  }
  const attachment = body.attachments[0] as Record<string, unknown>;
  if (attachment.contentType !== ADAPTIVE_CARD_TYPE || attachment.contentUrl !== null) return 'contentType';
  const card = attachment.content as Card;
  if (card.type !== 'AdaptiveCard' || card.version !== '1.4') return 'AdaptiveCard 1.4';
  if (card.$schema !== 'http://adaptivecards.io/schemas/adaptive-card.json') return '$schema';
  if (!Array.isArray(card.body) || card.body.length === 0) return 'card body';
  for (const element of card.body) {
    if (element.type === 'TextBlock') {
      if (!isString(element.text) || element.text === '') return 'TextBlock text';
      if ('color' in element && !TEXT_COLORS.includes(element.color as string)) return 'TextBlock color';
    } else if (element.type === 'FactSet') {
      const facts = element.facts as Record<string, unknown>[];
      if (!Array.isArray(facts) || facts.some((f) => !isString(f.title) || !isString(f.value)))
        return 'facts';
    } else return `unexpected element ${String(element.type)}`;
  }
  const action = card.actions?.[0];
  if (action?.type !== 'Action.OpenUrl' || !isString(action.title) || !URL.canParse(action.url as string)) {
    return 'Action.OpenUrl';
  }
  if (req.body.length > 28 * 1024) return 'MessageSizeTooBig';
  return undefined;
}

/** A workflow answers 202 Accepted, or {"error": {"code", "message"}}. */
function workflowServer(answer?: Handler): Handler {
  return (req, res) => {
    const problem = requestProblem(req);
    if (problem !== undefined) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'TriggerInputSchemaMismatch', message: problem } }));
    }
    if (answer) return answer(req, res);
    return res.writeHead(202).end();
  };
}

async function receiver(answer?: Handler): Promise<Receiver> {
  const r = await startReceiver(workflowServer(answer));
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown>): TeamsConfig {
  return teamsConfigSchema.parse(input);
}

async function sentCard(payload: AlertPayload): Promise<Card> {
  const r = await receiver();
  const result = await teams.send(payload, config({ webhook_url: `${r.url}${FLOW_PATH}` }), ctx);
  expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 202' });
  const body = JSON.parse(r.requests[0]!.body.toString('utf8'));
  return body.attachments[0].content as Card;
}

function factsOf(card: Card): Record<string, string> {
  const set = card.body.find((e) => e.type === 'FactSet') as { facts: { title: string; value: string }[] };
  return Object.fromEntries(set.facts.map((f) => [f.title, f.value]));
}

describe('teams.send', () => {
  it('posts a down alert as an Adaptive Card: red bold title, summary, facts and an Open check button', async () => {
    const payload = samplePayload('down');
    const card = await sentCard(payload);
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      text: '"nightly-backup" is DOWN',
      weight: 'Bolder',
      color: 'Attention',
    });
    expect(card.body[1]).toMatchObject({
      type: 'TextBlock',
      text: 'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
      wrap: true,
    });
    expect(factsOf(card)).toEqual({
      Project: 'ops',
      Severity: 'critical',
      Schedule: 'every 1 hour',
      'Last ping': '1 hour 5 minutes ago',
    });
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open check', url: payload.check.url }]);
  });

  it('shows a failed run’s ping body in a monospace block', async () => {
    const card = await sentCard(samplePayload('failed'));
    expect(card.body.at(-1)).toEqual({
      type: 'TextBlock',
      text: 'pg_dump: error: connection to server failed <&> "quoted"',
      fontType: 'Monospace',
      wrap: true,
    });
  });

  it('colours a late alert with Warning and a recovery with Good, saying how long it was down', async () => {
    expect((await sentCard(samplePayload('late'))).body[0]).toMatchObject({ color: 'Warning' });
    const card = await sentCard(samplePayload('up'));
    expect(card.body[0]).toMatchObject({ color: 'Good', text: '"nightly-backup" is back UP' });
    expect(factsOf(card)['Down for']).toBe('1 hour 5 minutes');
  });

  it('titles a reminder with its number', async () => {
    const card = await sentCard(samplePayload('down', { reminder: 2 }));
    expect(card.body[0]).toMatchObject({ text: 'Reminder #2: "nightly-backup" is still DOWN' });
  });

  it('keeps a huge name, reason and body far below Teams’ 28 KB, keeping the body’s end', async () => {
    const payload = samplePayload('failed', { last_ping_body: `${'é'.repeat(50_000)}THE END` });
    payload.check.name = 'n'.repeat(5000);
    payload.flip.reason = 'r'.repeat(20_000);
    const card = await sentCard(payload); // the receiver refuses anything over 28 KB
    expect((card.body[0]!.text as string).length).toBeLessThanOrEqual(250);
    expect(card.body.at(-1)!.text).toMatch(/THE END$/);
  });

  it.each([
    [401, 'DirectApiAuthorizationRequired', 'The request must be authenticated'],
    [403, 'AuthorizationFailed', 'The caller is not allowed to trigger this flow'],
    [404, 'WorkflowTriggerIsNotEnabled', 'The workflow is turned off'],
  ])('fails permanently on %i, with the workflow’s error', async (status, code, message) => {
    const r = await receiver((_req, res) =>
      res.writeHead(status).end(JSON.stringify({ error: { code, message } })),
    );
    const result = await teams.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${FLOW_PATH}` }),
      ctx,
    );
    expect(result).toEqual({ outcome: 'failed', error: `Teams: ${code}: ${message} (HTTP ${status})` });
  });

  it('retries on 500 and after the Retry-After of a 429', async () => {
    const r500 = await receiver((_req, res) => res.writeHead(500).end());
    expect(
      await teams.send(samplePayload('down'), config({ webhook_url: `${r500.url}${FLOW_PATH}` }), ctx),
    ).toEqual({ outcome: 'retry', error: 'Teams: HTTP 500 (empty body)' });
    const r429 = await receiver((_req, res) =>
      res.writeHead(429, { 'retry-after': '20' }).end('{"error":{"code":"WorkflowTriggersFlowRateLimited"}}'),
    );
    expect(
      await teams.send(samplePayload('down'), config({ webhook_url: `${r429.url}${FLOW_PATH}` }), ctx),
    ).toEqual({
      outcome: 'retry',
      error: 'Teams: WorkflowTriggersFlowRateLimited (HTTP 429)',
      retryAfterMs: 20_000,
    });
  });
});

describe('teamsConfigSchema', () => {
  it('accepts a workflow URL', () => {
    const url = `https://prod-12.westeurope.logic.azure.com:443${FLOW_PATH}`;
    expect(config({ webhook_url: url })).toEqual({ webhook_url: url });
  });

  it.each([
    ['no webhook URL', {}, 'webhook_url'],
    ['a non-http URL', { webhook_url: 'file:///etc/passwd' }, 'URL must be'],
    [
      'a masked URL',
      { webhook_url: `https://prod-12.westeurope.logic.azure.com:443/${MASK}Vu6` },
      'looks masked',
    ],
    ['an unknown key', { webhook_url: 'https://example.com/x', theme_color: 'red' }, 'theme_color'],
  ])('refuses %s', (_what, input, message) => {
    const result = teamsConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('masks the workflow URL, whose query holds the signature, past its origin', () => {
    expect(teams.urlFields).toEqual(['webhook_url']);
    const url = `https://prod-12.westeurope.logic.azure.com:443${FLOW_PATH}`;
    const shown = maskUrlFields({ webhook_url: url }, teams.urlFields ?? []);
    expect(shown.webhook_url).toBe(`https://prod-12.westeurope.logic.azure.com/${MASK}7Vu6`);
    expect(shown.webhook_url).not.toContain('sig=');
  });
});
