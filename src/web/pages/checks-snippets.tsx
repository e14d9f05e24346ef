// How to ping a check: its URLs with copy buttons, and snippets for the usual places a job runs.
import { pingUrl } from '../../ingest/queue-alerts.ts';
import type { Check, Project } from '../../store/store.ts';

const CURL = 'curl -fsS -m 10 --retry 5';

export function checkUrls(check: Check, project: Project, baseUrl: string) {
  const url = pingUrl(baseUrl, check.id);
  return {
    success: url,
    start: `${url}/start`,
    fail: `${url}/fail`,
    log: `${url}/log`,
    exit: `${url}/$?`,
    bySlug: `${baseUrl}/ping/${project.pingKey}/${check.slug}`,
  };
}

function UrlRow({ label, url, hint }: { label: string; url: string; hint?: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>
        <code>{url}</code>
        {hint ? <small class="muted"> {hint}</small> : null}
      </td>
      <td>
        <button type="button" class="secondary outline" data-copy={url}>
          Copy
        </button>
      </td>
    </tr>
  );
}

export function PingUrls({ check, project, baseUrl }: { check: Check; project: Project; baseUrl: string }) {
  const u = checkUrls(check, project, baseUrl);
  return (
    <section id="ping-urls">
      <h2>Ping URLs</h2>
      <table class="compact">
        <tbody>
          <UrlRow label="Success" url={u.success} />
          <UrlRow label="Start" url={u.start} hint="a run began; its end ping measures the duration" />
          <UrlRow label="Failure" url={u.fail} />
          <UrlRow label="Log" url={u.log} hint="records the body; changes nothing" />
          <UrlRow label="Exit status" url={u.exit} hint="0 is success, anything else a failure" />
          <UrlRow label="By slug" url={u.bySlug} hint="the project's ping key and the check's slug" />
        </tbody>
      </table>
      <Snippets check={check} url={u.success} />
    </section>
  );
}

function Snippet({ title, code }: { title: string; code: string }) {
  return (
    <details>
      <summary>{title}</summary>
      <pre>
        <code>{code}</code>
      </pre>
      <button type="button" class="secondary outline" data-copy={code}>
        Copy
      </button>
    </details>
  );
}

/** The cron line: the check's own expression when it has one. */
function cronFields(check: Check): string {
  return check.schedule.kind === 'cron' ? check.schedule.expression : '0 * * * *';
}

function Snippets({ check, url }: { check: Check; url: string }) {
  return (
    <>
      <Snippet title="curl" code={`${CURL} ${url}`} />
      <Snippet title="vigil run" code={`vigil run ${check.slug} -- /usr/local/bin/backup.sh`} />
      <Snippet
        title="crontab"
        code={`${cronFields(check)} /usr/local/bin/backup.sh; ${CURL} -o /dev/null ${url}/$?`}
      />
      <Snippet
        title="TypeScript"
        code={[
          `await fetch('${url}', { signal: AbortSignal.timeout(10_000) });`,
          '',
          '// or with the SDK:',
          "import { ping } from '@vigil/sdk';",
          `await ping('${url}');`,
        ].join('\n')}
      />
      <Snippet
        title="Python"
        code={['import urllib.request', '', `urllib.request.urlopen("${url}", timeout=10)`].join('\n')}
      />
    </>
  );
}
