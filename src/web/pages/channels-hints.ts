// Words for the channel forms, shortened from docs/channels.md: each kind's name and what to
// set up, and a line of help per config field. A kind or field missing here still gets a form.

export interface KindHints {
  label: string;
  intro: string;
  fields: Record<string, string>;
  /** fields that take several lines (templates) */
  multiline?: string[];
}

const WEBHOOK_URL = 'masked past its origin once saved';

// the fields every HTTP-API email channel shares (email-api.ts)
const EMAIL_API_FIELDS: Record<string, string> = {
  to: 'up to 10 bare addresses, comma-separated',
  from: 'sender address on a domain verified with the provider',
  from_name: 'sender name shown with the address, e.g. vigil',
  subject_prefix: 'put in front of the subject, e.g. [prod]',
};

export const KIND_HINTS: Record<string, KindHints> = {
  webhook: {
    label: 'Webhook',
    intro: 'Each alert to a URL of yours: the alert as JSON, or a body from your own template.',
    fields: {
      url: `where to send; no credentials in it (use headers); ${WEBHOOK_URL}`,
      secret: 'HMAC key for X-Vigil-Signature; left empty on a new channel, vigil generates one',
      method: 'POST, PUT or PATCH',
      body_template: 'your own body with {{placeholders}} (e.g. {{title}}), at most 16 KiB',
      content_type: 'Content-Type of the templated body (default application/json); only with a template',
    },
    multiline: ['body_template'],
  },
  email: {
    label: 'Email',
    intro: 'An email through the SMTP server of this installation (VIGIL_SMTP_*).',
    fields: {
      to: 'up to 10 bare addresses, comma-separated',
      from: 'another sender address (default VIGIL_SMTP_FROM); the server must allow it',
      subject_prefix: 'put in front of the subject, e.g. [prod]',
    },
  },
  resend: {
    label: 'Resend',
    intro: 'An email through the Resend API, from an address on a domain verified in Resend.',
    fields: {
      api_key: 'an API key (re_…); "Sending access" is enough',
      ...EMAIL_API_FIELDS,
      api_url: 'API base URL (default https://api.resend.com)',
    },
  },
  postmark: {
    label: 'Postmark',
    intro: "An email through the Postmark API with a server's API token.",
    fields: {
      server_token: "the server's API token (Servers → API Tokens)",
      ...EMAIL_API_FIELDS,
      from: 'sender address: a confirmed Sender Signature or on a verified domain',
      message_stream: 'a transactional message stream ID (default outbound)',
      api_url: 'API base URL (default https://api.postmarkapp.com)',
    },
  },
  sendgrid: {
    label: 'SendGrid',
    intro: 'An email through the Twilio SendGrid Mail Send API.',
    fields: {
      api_key: 'an API key (SG.…) with the Mail Send permission',
      ...EMAIL_API_FIELDS,
      from: 'sender address: a verified Sender Identity',
      api_url: 'https://api.eu.sendgrid.com for EU subusers (default https://api.sendgrid.com)',
    },
  },
  mailgun: {
    label: 'Mailgun',
    intro: 'An email through the Mailgun API from one of your sending domains.',
    fields: {
      api_key: 'a Domain Sending Key or the private API key',
      domain: 'the sending domain, e.g. mg.example.com',
      ...EMAIL_API_FIELDS,
      api_url: 'https://api.eu.mailgun.net for EU domains (default https://api.mailgun.net)',
    },
  },
  slack: {
    label: 'Slack',
    intro: 'An incoming webhook URL, or a bot token (xoxb-) and a channel for the Web API.',
    fields: {
      webhook_url: `incoming webhook URL (https://hooks.slack.com/services/…); ${WEBHOOK_URL}`,
      token: 'bot token starting with xoxb-, instead of webhook_url',
      channel: 'with token: channel ID (C0123ABCD) or #name',
      recovery_channel: 'with token: where recoveries go instead',
      api_url: 'Web API base URL (a proxy, GovSlack)',
    },
  },
  discord: {
    label: 'Discord',
    intro: 'A channel webhook: Server settings → Integrations → Webhooks.',
    fields: {
      webhook_url: `https://discord.com/api/webhooks/{id}/{token}; ${WEBHOOK_URL}`,
      username: 'sender name, without "discord" or "clyde"',
    },
  },
  telegram: {
    label: 'Telegram',
    intro: 'A bot made with @BotFather, posting to a chat, group or channel.',
    fields: {
      bot_token: 'the token from @BotFather, 123456789:AA…',
      chat_id: 'numeric chat id (groups are negative) or @channelname',
      message_thread_id: "a forum topic's id",
      api_url: 'Bot API base URL (a self-hosted Bot API server)',
    },
  },
  teams: {
    label: 'Microsoft Teams',
    intro: 'A Workflows "post to a channel when a webhook request is received" flow.',
    fields: { webhook_url: `the workflow's HTTP POST URL; ${WEBHOOK_URL}` },
  },
  pagerduty: {
    label: 'PagerDuty',
    intro: 'An Events API v2 integration on a service; recoveries resolve the incident.',
    fields: {
      routing_key: 'the 32-character Integration Key',
      api_url: 'Events API base URL',
    },
  },
  opsgenie: {
    label: 'Opsgenie',
    intro: 'An API integration (Settings → Integrations); responders go in the JSON below.',
    fields: {
      api_key: "the API integration's key",
      api_url: 'https://api.eu.opsgenie.com for EU accounts',
      tags: 'tags added to the check’s own, comma-separated',
    },
  },
  ntfy: {
    label: 'ntfy',
    intro: 'A topic on ntfy.sh or your own ntfy server.',
    fields: {
      topic: '1–64 letters, digits, - or _',
      server_url: 'the ntfy server; alerts are posted to its root URL',
      token: 'access token (tk_…); not with username',
      username: 'for Basic auth, with password',
      password: 'with username',
    },
  },
  pushover: {
    label: 'Pushover',
    intro: 'A Pushover application token and the user or group key to notify.',
    fields: {
      app_token: "the application's 30-character API token",
      user_key: 'the 30-character user or group key',
      device: 'device names, comma-separated (default: all devices)',
      sound: 'a Pushover sound name, e.g. siren',
      emergency: 'down alerts of critical checks repeat until acknowledged',
      emergency_retry: 'seconds between repeats, 30–10800',
      emergency_expire: 'seconds it keeps repeating, 30–10800',
    },
  },
  gotify: {
    label: 'Gotify',
    intro: 'Your Gotify server and an application token.',
    fields: {
      server_url: 'your Gotify server, with its path prefix if any',
      app_token: 'the application token',
    },
  },
  matrix: {
    label: 'Matrix',
    intro: 'A bot account in a room: its homeserver, access token and the room ID.',
    fields: {
      homeserver: "the bot's homeserver",
      access_token: "the bot's access token",
      room_id: 'the room ID, starting with ! (Room settings → Advanced)',
    },
  },
  mattermost: {
    label: 'Mattermost',
    intro: 'An incoming webhook: Integrations → Incoming Webhooks.',
    fields: {
      webhook_url: `the incoming webhook URL (…/hooks/…); ${WEBHOOK_URL}`,
      channel: 'another channel by its URL name (town-square) or @username',
      username: 'sender name',
      icon_url: 'sender picture URL',
    },
  },
  rocketchat: {
    label: 'Rocket.Chat',
    intro: 'An incoming integration: Administration → Integrations → New → Incoming.',
    fields: {
      webhook_url: `the webhook URL (…/hooks/…); ${WEBHOOK_URL}`,
      channel: '#channel or @username',
      username: 'sender name (alias)',
      icon_url: 'sender picture URL (avatar)',
    },
  },
  twilio: {
    label: 'Twilio SMS',
    intro: 'Texts through your Twilio account: an auth token or an API key, and a sender.',
    fields: {
      account_sid: 'AC + 32 hex characters',
      auth_token: "the account's auth token, or use an API key",
      api_key_sid: 'SK + 32 hex characters, with api_key_secret',
      api_key_secret: "the API key's secret",
      from: 'E.164 number (+14155550100) or sender ID; or messaging_service_sid',
      messaging_service_sid: 'MG + 32 hex characters, instead of from',
      to: 'up to 10 E.164 numbers, comma-separated',
      api_url: 'API base URL',
    },
  },
};

export function kindLabel(kind: string): string {
  return Object.hasOwn(KIND_HINTS, kind) ? KIND_HINTS[kind]!.label : kind;
}
