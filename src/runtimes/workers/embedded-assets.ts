// The dashboard's static files, built into the Worker bundle as text modules (wrangler.jsonc
// "rules": type Text) and handed to the web app, which on Node reads the same files from disk.

import pico from '@picocss/pico/css/pico.min.css';
import htmx from 'htmx.org/dist/htmx.min.js';
import { provideAssets } from '../../web/assets.ts';
import appCss from '../../web/static/app.css';
import appJs from '../../web/static/app.js';
import favicon from '../../web/static/favicon.svg';

export function embedAssets(): void {
  provideAssets({
    'pico.min.css': pico,
    'htmx.min.js': htmx,
    'app.css': appCss,
    'app.js': appJs,
    'favicon.svg': favicon,
  });
}
