// The email channel: a plain-text and HTML alert through the operator's SMTP server
// (VIGIL_SMTP_*, handed in as ctx.smtp); a channel only says who gets it.
import nodemailer, {
  type NodemailerError,
  type SendMailOptions,
  type SMTPSentMessageInfo,
  type SMTPTransportOptions,
  type Transporter,
} from 'nodemailer';
import { z } from 'zod';
import { address, emailContent, recipients, subjectPrefix } from './email-api.ts';
import type { AlertPayload, Notifier, SendResult, SmtpSettings } from './notifier.ts';
import { MASK } from './secret-mask.ts';

export { CHECK_HEADER, EVENT_HEADER } from './email-api.ts';
export const SMTP_NOT_CONFIGURED =
  'SMTP is not configured: set VIGIL_SMTP_HOST and VIGIL_SMTP_FROM (and VIGIL_SMTP_USER and VIGIL_SMTP_PASSWORD if the server wants a login), then restart vigil';

export const emailConfigSchema = z
  .object({
    to: recipients,
    /** overrides VIGIL_SMTP_FROM; the SMTP server must allow sending as it */
    from: address.optional(),
    subject_prefix: subjectPrefix,
  })
  .strict();

export type EmailConfig = z.output<typeof emailConfigSchema>;

export const email: Notifier<EmailConfig> = {
  kind: 'email',
  configSchema: emailConfigSchema,
  secretFields: [],

  async send(payload, config, { smtp, deliveryId }) {
    if (smtp === undefined) return { outcome: 'failed', error: SMTP_NOT_CONFIGURED };
    const from = config.from ?? smtp.from;
    const domain = domainOf(from);
    const mail: SendMailOptions = {
      from,
      to: config.to,
      ...emailContent(payload, config.subject_prefix),
      // The whole exchange, not just each step (those are bounded by the transport's timeouts):
      // a server trickling one line at a time must not hold a dispatcher slot for ever.
      signal: AbortSignal.timeout(smtp.timeoutMs * 3),
    };
    // Stable per delivery: a re-send after a crash or a timeout carries the same Message-ID, so
    // the recipient's mail system (or the person) can tell it is the same alert.
    if (deliveryId !== undefined)
      mail.messageId = `<vigil.${payload.check.id}.${safeId(deliveryId)}@${domain}>`;
    const thread = threadId(payload, domain);
    if (thread !== undefined) {
      mail.references = thread;
      mail.inReplyTo = thread;
    }

    try {
      const info = await transportFor(smtp).sendMail(mail);
      // some recipients refused, others took it
      if (info.rejected.length > 0) return rejectedResult(info.rejected, info.rejectedErrors ?? [], smtp);
      return { outcome: 'delivered', detail: oneLine(info.response) };
    } catch (err) {
      return resultFromSmtpError(err, smtp);
    }
  },
};

/**
 * One Message-ID that every alert of one down period refers to (down, reminders, the recovery),
 * so mail clients that thread by References show them together. Late warnings stand alone.
 */
function threadId(p: AlertPayload, domain: string): string | undefined {
  if (p.event === 'late') return undefined;
  const at = Date.parse(p.flip.at);
  // a recovery's flip is the moment it came back; the period began downtime_ms before
  const start = p.event === 'up' ? (typeof p.downtime_ms === 'number' ? at - p.downtime_ms : Number.NaN) : at;
  return Number.isNaN(start) ? undefined : `<vigil.${p.check.id}.down.${start}@${domain}>`;
}

function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'vigil';
}

function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '-');
}

// One transport per SMTP settings, reused across sends. Not pooled: alerts come rarely, so pooled
// connections would sit idle until the server's idle timeout cut them and the next alert found a
// dead socket; one connection per alert costs a handshake, nothing at alert rates.
type SmtpTransport = Transporter<SMTPSentMessageInfo, SMTPTransportOptions>;
const transports = new Map<string, SmtpTransport>();

function transportFor(s: SmtpSettings): SmtpTransport {
  const key = JSON.stringify([
    s.host,
    s.port,
    s.secure,
    s.requireTls,
    s.rejectUnauthorized,
    s.user,
    s.password,
    s.timeoutMs,
  ]);
  let transport = transports.get(key);
  if (transport === undefined) {
    transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: s.requireTls,
      tls: { rejectUnauthorized: s.rejectUnauthorized },
      ...(s.user !== undefined ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      // a relay on localhost (postfix, a sidecar) is a normal setup for a self-hosted service
      allowInternalNetworkInterfaces: true,
      // content is only ever our strings; never let it name a file or URL to read
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    transports.set(key, transport);
  }
  return transport;
}

/** Closes every cached transport (shutdown, tests); the next send opens a new one. */
export function closeMailTransports(): void {
  for (const transport of transports.values()) transport.close();
  transports.clear();
}

/**
 * An SMTP failure as a SendResult. 5xx replies (550 no such mailbox, 535 bad login) will not
 * fix themselves: failed. 4xx replies (421, 450, 451, 452) and a server we could not reach or
 * that went silent: retry. The password never appears in the message.
 */
export function resultFromSmtpError(err: unknown, smtp: SmtpSettings): SendResult {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as NodemailerError;
  const server = `${smtp.host}:${smtp.port}`;
  const reply = oneLine(e.response ?? e.message ?? 'unknown error');
  const scrub = (text: string) => (smtp.password ? text.split(smtp.password).join(MASK) : text);
  const failed = (error: string): SendResult => ({ outcome: 'failed', error: scrub(error) });
  const retry = (error: string): SendResult => ({ outcome: 'retry', error: scrub(error) });

  if (e.code === 'EAUTH' || e.responseCode === 535) {
    return failed(
      `the SMTP server ${server} refused the login${smtp.user ? ` of "${smtp.user}"` : ''}: ${reply}; check VIGIL_SMTP_USER and VIGIL_SMTP_PASSWORD`,
    );
  }
  if (e.code === 'ENOAUTH') {
    return failed(`the SMTP server ${server} wants a login: set VIGIL_SMTP_USER and VIGIL_SMTP_PASSWORD`);
  }
  if (e.code === 'ETLS') {
    return failed(
      `could not switch to TLS (STARTTLS) with ${server}: ${reply}; the server must offer STARTTLS while VIGIL_SMTP_REQUIRE_TLS is set`,
    );
  }
  if (isCertificateError(e)) {
    return failed(
      `the TLS certificate of ${server} was not accepted: ${reply}; fix the certificate, or set VIGIL_SMTP_TLS_REJECT_UNAUTHORIZED=false for a self-signed one`,
    );
  }
  if (typeof e.responseCode === 'number') {
    const permanent = e.permanent ?? (e.responseCode >= 500 && e.responseCode !== 503);
    // 530: "authentication required" or "must issue STARTTLS first", depending on the server
    const hint =
      e.responseCode === 530
        ? '; it wants a login (VIGIL_SMTP_USER, VIGIL_SMTP_PASSWORD) or TLS first (VIGIL_SMTP_REQUIRE_TLS)'
        : '';
    const error = `the SMTP server ${server} answered ${reply}${hint}`;
    return permanent ? failed(error) : retry(error);
  }
  if (e.code === 'EABORT' || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return retry(`the SMTP server ${server} did not finish within ${smtp.timeoutMs * 3} ms`);
  }
  // ECONNREFUSED, ETIMEDOUT, ESOCKET, EDNS, ECONNECTION and whatever else: try again later
  const cause = e.originalCode && !reply.includes(e.originalCode) ? `${e.originalCode} ` : '';
  return retry(
    `could not send through the SMTP server ${server}: ${e.code ? `${e.code} ` : ''}${cause}${reply}`,
  );
}

/** Some recipients refused: a temporary refusal is worth a retry (the others get the same
 * Message-ID again), a permanent one is an address to fix. */
function rejectedResult(rejected: string[], errors: NodemailerError[], smtp: SmtpSettings): SendResult {
  const temporary = errors.some((e) => typeof e.responseCode === 'number' && e.responseCode < 500);
  const why = errors.map((e) => oneLine(e.response ?? e.message)).join('; ');
  const error = `the SMTP server ${smtp.host}:${smtp.port} refused ${rejected.join(', ')}${why ? `: ${why}` : ''}`;
  return temporary ? { outcome: 'retry', error } : { outcome: 'failed', error };
}

function isCertificateError(e: NodemailerError): boolean {
  const code = e.originalCode ?? e.code ?? '';
  return /^(CERT_|UNABLE_TO_VERIFY|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|ERR_TLS_CERT)/.test(code);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
