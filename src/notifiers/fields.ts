// Config fields every channel kind needs, validated the same way everywhere: URLs that the
// outbound helper can use, and secrets that must not be a masked value sent back by mistake.
import { z } from 'zod';
import { urlProblem } from './http.ts';
import { MASK } from './secret-mask.ts';

/** An http(s) URL without credentials; refuses a masked URL that could not be restored. */
export function httpUrl() {
  return z
    .string()
    .max(2048)
    .superRefine((url, ctx) => {
      const problem = urlProblem(url);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `URL ${problem}` });
      // a masked URL that could not be restored must not silently become the new target
      else if (url.includes(MASK))
        ctx.addIssue({ code: 'custom', message: 'looks masked; send the real URL' });
    });
}

/** A provider's API base URL, defaulting to the public service; trailing slashes dropped so
 * `${base}/path` is always right. Self-hosted and test servers set their own. */
export function baseUrl(defaultUrl: string) {
  return httpUrl()
    .transform((url) => url.replace(/\/+$/, ''))
    .default(defaultUrl);
}

/** A token, password or key: masked on read, so a masked value coming back is refused. */
export function secret(max = 512) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.startsWith(MASK), 'looks masked; send the real value');
}
