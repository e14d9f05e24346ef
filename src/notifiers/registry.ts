// Every channel kind vigil knows. Adding a channel: one new file exporting a Notifier, and
// one line in CHANNELS below.

import { discord } from './discord.ts';
import { email } from './email.ts';
import { gotify } from './gotify.ts';
import { mailgun } from './mailgun.ts';
import { matrix } from './matrix.ts';
import { mattermost } from './mattermost.ts';
import type { Notifier } from './notifier.ts';
import { ntfy } from './ntfy.ts';
import { opsgenie } from './opsgenie.ts';
import { pagerduty } from './pagerduty.ts';
import { postmark } from './postmark.ts';
import { pushover } from './pushover.ts';
import { resend } from './resend.ts';
import { rocketchat } from './rocketchat.ts';
import { maskFields, maskUrlFields, restoreFields, restoreUrlFields } from './secret-mask.ts';
import { sendgrid } from './sendgrid.ts';
import { slack } from './slack.ts';
import { teams } from './teams.ts';
import { telegram } from './telegram.ts';
import { twilio } from './twilio.ts';
import { webhook } from './webhook.ts';

const CHANNELS = [
  webhook,
  email,
  resend,
  postmark,
  sendgrid,
  mailgun,
  slack,
  discord,
  telegram,
  teams,
  pagerduty,
  opsgenie,
  ntfy,
  pushover,
  gotify,
  matrix,
  mattermost,
  rocketchat,
  twilio,
] as readonly Notifier<unknown>[];

/** kind → notifier. Built from CHANNELS so a key can never disagree with its notifier's kind. */
export const notifiers: Readonly<Record<string, Notifier<unknown>>> = Object.freeze(
  Object.fromEntries(CHANNELS.map((notifier) => [notifier.kind, notifier])),
);

/** The notifier for a kind, or undefined for a kind this build does not know. */
export function getNotifier(kind: string): Notifier<unknown> | undefined {
  // hasOwn: "constructor" or "__proto__" are not channel kinds
  return Object.hasOwn(notifiers, kind) ? notifiers[kind] : undefined;
}

/**
 * The config as it may be shown: every value in the kind's secret fields replaced by "••••"
 * plus its last 4 characters (just "••••" when shorter than 12). Throws for an unknown kind
 * rather than guess which fields are secret.
 */
export function maskSecrets<C extends Record<string, unknown>>(kind: string, config: C): C {
  const notifier = requireNotifier(kind);
  return maskUrlFields(maskFields(config, notifier.secretFields), notifier.urlFields ?? []);
}

/**
 * The config to store after an update: where `newConfig` carries the masked form of an old
 * secret (a client sent back what it read), the old secret is kept. Fields left out of
 * `newConfig` stay out. Validate the result with the kind's configSchema afterwards.
 */
export function mergeSecrets<C extends Record<string, unknown>>(
  kind: string,
  oldConfig: Record<string, unknown>,
  newConfig: C,
): C {
  const notifier = requireNotifier(kind);
  return restoreUrlFields(
    oldConfig,
    restoreFields(oldConfig, newConfig, notifier.secretFields),
    notifier.urlFields ?? [],
  );
}

function requireNotifier(kind: string): Notifier<unknown> {
  const notifier = getNotifier(kind);
  if (notifier === undefined) throw new Error(`unknown channel kind "${kind}"`);
  return notifier;
}
