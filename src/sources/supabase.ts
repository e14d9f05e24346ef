// A Supabase project's edge functions, from the Management API (GET /v1/projects/{ref}/functions).
// Functions are not scheduled and report nothing about their runs here, so each becomes an event
// check: its failures are pinged to vigil by the function, and its presence is tracked.
import { z } from 'zod';
import { baseUrl, secret } from '../notifiers/fields.ts';
import { HttpError, type HttpResponse } from '../notifiers/http.ts';
import { type DiscoveredJob, type SourceAdapter, SourceUnreachable } from './adapter.ts';

export const SUPABASE_API_URL = 'https://api.supabase.com';

/** What is worth quoting of an error body: providers' messages are short, bodies may not be. */
const MESSAGE_CHARS = 200;

export const supabaseConfigSchema = z
  .object({
    // The Supabase CLI takes exactly 20 lowercase letters; digits are allowed in case refs change.
    project_ref: z
      .string()
      .regex(/^[a-z0-9]{20}$/, 'a project ref is 20 lowercase letters (Project Settings → General)'),
    /** a personal access token (Account → Access Tokens) or an OAuth token with edge_functions:read */
    access_token: secret(1024),
    api_url: baseUrl(SUPABASE_API_URL),
  })
  .strict();

export type SupabaseConfig = z.output<typeof supabaseConfigSchema>;

/**
 * One function as the Management API lists it (FunctionResponse). Read leniently: fields vigil
 * does not use may change, and times have come as epoch milliseconds or ISO strings.
 */
const FunctionSchema = z.object({
  id: z.string().min(1).max(200),
  slug: z.string().min(1).max(200),
  name: z.string().max(500).optional(),
  status: z.string().max(50),
  version: z.number().optional(),
  updated_at: z.union([z.number(), z.string()]).optional(),
});

type SupabaseFunction = z.infer<typeof FunctionSchema>;

export const supabaseAdapter: SourceAdapter = {
  kind: 'supabase',
  configSchema: supabaseConfigSchema,
  readsRuns: false,
  secretFields: ['access_token'],

  async sync(source, ctx) {
    const config = supabaseConfigSchema.parse(source.config);
    const url = `${config.api_url}/v1/projects/${config.project_ref}/functions`;
    let res: HttpResponse;
    try {
      res = await ctx.http.request(url, {
        headers: { Authorization: `Bearer ${config.access_token}`, Accept: 'application/json' },
      });
    } catch (err) {
      // HttpError messages name the host, never the URL or its headers
      const why = err instanceof HttpError ? err.message : 'the request failed';
      throw new SourceUnreachable(`Supabase Management API: ${why}`);
    }
    if (res.status < 200 || res.status >= 300) throw new SourceUnreachable(refusal(res, config));
    if (res.truncated) {
      throw new SourceUnreachable(
        'Supabase Management API: the list of functions is larger than vigil reads',
      );
    }
    return { jobs: readFunctions(res.text).map(toJob), runs: [], cursor: null };
  },
};

/** Why the API said no, in its own words where it gave any. */
function refusal(res: HttpResponse, config: SupabaseConfig): string {
  const said = providerMessage(res.text);
  const quote = said ? `: ${said}` : '';
  if (res.status === 401 || res.status === 403) {
    return `Supabase: access token rejected (HTTP ${res.status})${quote}; check access_token`;
  }
  if (res.status === 404) return `Supabase: project not found: ${config.project_ref} (HTTP 404)${quote}`;
  if (res.status === 429) return `Supabase: rate limited (HTTP 429)${quote}`;
  return `Supabase Management API answered HTTP ${res.status}${quote}`;
}

function providerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = typeof body.message === 'string' ? body.message : body.error;
    return typeof message === 'string' ? message.slice(0, MESSAGE_CHARS) : '';
  } catch {
    return '';
  }
}

function readFunctions(text: string): SupabaseFunction[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SourceUnreachable('Supabase Management API: the answer is not JSON');
  }
  const parsed = z.array(FunctionSchema).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.')}: ${issue.message}` : 'unexpected shape';
    throw new SourceUnreachable(`Supabase Management API: unexpected list of functions (${where})`);
  }
  return parsed.data;
}

function toJob(fn: SupabaseFunction): DiscoveredJob {
  return {
    key: fn.id,
    name: slugSafe(fn.slug),
    displayName: fn.name || fn.slug,
    schedule: { kind: 'none' },
    active: fn.status === 'ACTIVE',
    details: {
      slug: fn.slug,
      status: fn.status,
      version: fn.version ?? null,
      updated_at: isoOrNull(fn.updated_at),
    },
  };
}

/** Function slugs allow capitals (`^[A-Za-z][A-Za-z0-9_-]*$`); check slugs do not. */
function slugSafe(slug: string): string {
  return slug.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
}

function isoOrNull(t: number | string | undefined): string | null {
  if (t === undefined) return null;
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
