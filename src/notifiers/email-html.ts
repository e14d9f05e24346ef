// The alert as an HTML email. Mail clients ignore <style> blocks and most modern CSS, so the
// layout is tables with inline styles; every value from the payload is escaped.
import { type AlertMessage, escapeHtml } from './message.ts';

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";

export function emailHtml(m: AlertMessage): string {
  const color = escapeHtml(m.color);
  const facts = m.facts
    .map(
      (f) =>
        `<tr><td style="padding:4px 16px 4px 0;color:#57606a;white-space:nowrap;vertical-align:top">${escapeHtml(f.label)}</td>` +
        `<td style="padding:4px 0;vertical-align:top">${escapeHtml(f.value)}</td></tr>`,
    )
    .join('');
  const body =
    m.bodyTail === null
      ? ''
      : `<p style="margin:16px 0 4px;color:#57606a">Last ping body (tail):</p>` +
        `<pre style="margin:0;padding:12px;background:#f6f8fa;border-radius:6px;font-size:12px;white-space:pre-wrap;word-break:break-all">${escapeHtml(m.bodyTail)}</pre>`;
  const link = escapeHtml(m.link);
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    `<body style="margin:0;padding:0;background:#f6f8fa;${FONT}">`,
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f8fa"><tr><td style="padding:24px 12px">',
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-top:6px solid ${color};border-radius:6px">`,
    `<tr><td style="padding:20px 24px;${FONT};font-size:14px;line-height:1.5;color:#1f2328">`,
    `<h1 style="margin:0 0 8px;font-size:18px;line-height:1.3">${escapeHtml(m.title)}</h1>`,
    `<p style="margin:0 0 16px">${escapeHtml(m.summary)}</p>`,
    `<table role="presentation" cellpadding="0" cellspacing="0" style="font-size:14px">${facts}</table>`,
    body,
    `<p style="margin:20px 0 4px"><a href="${link}" style="display:inline-block;padding:8px 16px;background:${color};color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600">View check</a></p>`,
    `<p style="margin:8px 0 0;font-size:12px;color:#57606a">${link}</p>`,
    '</td></tr></table>',
    '</td></tr></table>',
    '</body></html>',
  ].join('\n');
}
