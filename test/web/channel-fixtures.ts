// Channels for the channel page tests: made through the store, as the API would make them.
import { newChannel } from '../../src/channels/channel-changes.ts';
import type { Channel } from '../../src/store/store.ts';
import { type Harness, T0 } from '../helpers/harness.ts';

export const SECRET = 'whsec-known-secret-4f1c9a7e';
export const SLACK_TOKEN = 'xoxb-1234-5678-abcdefghijklmnop';

/** The rule fields every form posts: the defaults of a new channel. */
export const RULE = {
  events: ['down', 'failed', 'too_long', 'up'],
  min_severity: 'low',
  max_severity: 'critical',
};

/** A channel in the harness's main project (or `projectId`), named "ops hook" unless named. */
export async function addChannel(
  h: Harness,
  fields: Partial<Channel> & { kind: string; config: Record<string, unknown> },
): Promise<string> {
  const ch = newChannel(
    { name: 'ops hook', ...fields },
    { id: crypto.randomUUID(), projectId: fields.projectId ?? h.project.id, now: T0 },
  );
  await h.store.insertChannel({ ...ch, ...fields });
  return ch.id;
}

/** The value attribute of the input named `name` in a page. */
export function inputValue(page: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(page)?.[0] ?? '';
  return /value="([^"]*)"/.exec(input)?.[1];
}
