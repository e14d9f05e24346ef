// Sends a rendered page as a complete HTML document: without the doctype, browsers fall back
// to quirks mode and Pico's layout breaks.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export async function sendPage(
  c: Context,
  page: string | Promise<string>,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}
