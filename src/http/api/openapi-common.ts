import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string().openapi({ example: 'schedule.period: must be at least 1 s' }),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** The errors every authenticated route can answer with. */
export const ErrorResponses = {
  400: error('the request is invalid; the message names the field and what to fix'),
  401: error('no API key, or an unknown one'),
  403: error('the API key is read-only'),
  404: error('no such object in this project'),
  409: error('conflicts with an existing object (e.g. a slug already used)'),
  503: error(
    "storage_unavailable: vigil's database refuses writes (disk full, read-only); Retry-After says when to try again",
  ),
} as const;

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}
