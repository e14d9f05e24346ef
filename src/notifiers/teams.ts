// Microsoft Teams through a Workflows (Power Automate) webhook: "Post to a channel when a
// webhook request is received" takes a message whose attachments are Adaptive Cards, and
// answers 202 Accepted. Office 365 connector URLs take the same message while they last.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { httpUrl } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, type Tone, tail, truncate } from './message.ts';
import type { Notifier, SendResult } from './notifier.ts';

export const ADAPTIVE_CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
// 1.4: what Teams renders on desktop, web and mobile alike
const VERSION = '1.4';

// Teams refuses messages over about 28 KB; these keep a card far below that
const TITLE_CHARS = 250;
const SUMMARY_CHARS = 1000;
const FACT_CHARS = 300;
const BODY_CHARS = 1000;

const TONE_COLORS: Record<Tone, string> = { problem: 'Attention', warning: 'Warning', recovery: 'Good' };

export const teamsConfigSchema = z
  .object({
    /** the workflow's "HTTP POST URL"; its `sig` parameter is the secret */
    webhook_url: httpUrl(),
  })
  .strict();

export type TeamsConfig = z.output<typeof teamsConfigSchema>;

export const teams: Notifier<TeamsConfig> = {
  kind: 'teams',
  configSchema: teamsConfigSchema,
  secretFields: [],
  urlFields: ['webhook_url'],

  async send(payload, config, { http }) {
    const body = {
      type: 'message',
      attachments: [
        { contentType: ADAPTIVE_CARD_TYPE, contentUrl: null, content: alertCard(describeAlert(payload)) },
      ],
    };
    return deliver(http, config.webhook_url, jsonRequest(body), inspectAnswer);
  },
};

/** The alert as an Adaptive Card: coloured title, summary, facts, body tail, a button to the check. */
export function alertCard(m: AlertMessage) {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: truncate(m.title, TITLE_CHARS),
      weight: 'Bolder',
      size: 'Medium',
      color: TONE_COLORS[m.tone],
      wrap: true,
    },
    { type: 'TextBlock', text: truncate(m.summary, SUMMARY_CHARS), wrap: true },
    {
      type: 'FactSet',
      facts: m.facts.map((fact) => ({ title: fact.label, value: truncate(fact.value, FACT_CHARS) })),
    },
  ];
  if (m.bodyTail !== null) {
    body.push(
      { type: 'TextBlock', text: 'Last ping body (tail):', weight: 'Bolder', wrap: true, separator: true },
      { type: 'TextBlock', text: tail(m.bodyTail, BODY_CHARS), fontType: 'Monospace', wrap: true },
    );
  }
  return {
    $schema: SCHEMA,
    type: 'AdaptiveCard',
    version: VERSION,
    body,
    actions: [{ type: 'Action.OpenUrl', title: 'Open check', url: m.link }],
    msteams: { width: 'Full' },
  };
}

/** Workflow errors are {"error": {"code": "WorkflowTriggerIsNotEnabled", "message": "…"}}. */
function inspectAnswer(res: HttpResponse): SendResult {
  const result = classifyResponse(res);
  if (result.outcome === 'delivered') return result;
  const answer = parseJson(res) as { error?: { code?: unknown; message?: unknown } } | undefined;
  const { code, message } = answer?.error ?? {};
  if (typeof code !== 'string' && typeof message !== 'string')
    return { ...result, error: `Teams: ${result.error}` };
  const said = [code, message].filter((part) => typeof part === 'string').join(': ');
  return { ...result, error: `Teams: ${truncate(said, 300)} (HTTP ${res.status})` };
}
