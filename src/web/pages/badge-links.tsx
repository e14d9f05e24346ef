// The badge part of the status pages screen: the project's badge key, ready-to-copy URLs and
// Markdown for one check and one tag, and (for owners) a new key that retires the old URLs.
import type { Check } from '../../store/store.ts';
import { Csrf } from '../layout.tsx';
import type { WebVariables } from '../session.ts';

export interface BadgeLinksProps {
  ctx: WebVariables;
  baseUrl: string;
  badgeKey: string;
  checks: readonly Check[];
  /** the check slug and the tag the links are shown for */
  slug: string | null;
  tag: string | null;
  canManage: boolean;
}

export function BadgeLinks({ ctx, baseUrl, badgeKey, checks, slug, tag, canManage }: BadgeLinksProps) {
  const tags = [...new Set(checks.flatMap((ch) => ch.tags))].sort();
  return (
    <section id="badges">
      <h2>Badges</h2>
      <p>
        Badge key <code>{badgeKey}</code>. A badge shows one check (by its slug) or every check with a tag
        (down if any is down, else late if any is late). Add <code>?label=text</code> to change its left side.
      </p>
      <form method="get" action="/status-pages#badges" class="grid">
        <label>
          Check
          <select name="badge_check">
            {checks.map((ch) => (
              <option value={ch.slug} selected={ch.slug === slug}>
                {ch.name} ({ch.slug})
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <select name="badge_tag">
            {tags.map((t) => (
              <option value={t} selected={t === tag}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <div>
          <br />
          <button type="submit" class="secondary">
            Show links
          </button>
        </div>
      </form>
      {slug ? (
        <Links title={`Check ${slug}`} baseUrl={baseUrl} path={`/badge/${badgeKey}/${pathOf(slug)}`} />
      ) : null}
      {tag ? (
        <Links title={`Tag ${tag}`} baseUrl={baseUrl} path={`/badge/${badgeKey}/${pathOf(tag)}`} />
      ) : null}
      {!slug && !tag ? <p class="muted">Badges need a check; this project has none yet.</p> : null}
      {canManage ? (
        <form method="post" action="/status-pages/badge-key">
          <Csrf ctx={ctx} />
          <button type="submit" class="secondary outline">
            New badge key
          </button>{' '}
          <small class="muted">Every badge URL with the old key stops working.</small>
        </form>
      ) : null}
    </section>
  );
}

function Links({ title, baseUrl, path }: { title: string; baseUrl: string; path: string }) {
  const svg = `${baseUrl}${path}.svg`;
  const json = `${baseUrl}${path}.json`;
  const rows: [string, string][] = [
    ['SVG', svg],
    ['Markdown', `![status](${svg})`],
    ['JSON', json],
    ['shields.io', `https://img.shields.io/endpoint?url=${encodeURIComponent(json)}`],
  ];
  return (
    <article>
      <header>
        {title} <img src={`${path}.svg`} alt="" class="badge-preview" />
      </header>
      <table class="compact">
        <tbody>
          {rows.map(([name, text]) => (
            <tr>
              <th scope="row">{name}</th>
              <td>
                <code class="copyable">{text}</code>
              </td>
              <td>
                <button type="button" class="secondary outline copy" data-copy={text}>
                  Copy
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}

/** A slug or tag as URL path segments: its '/' stay separators, everything else is encoded. */
function pathOf(target: string): string {
  return target.split('/').map(encodeURIComponent).join('/');
}
