// The status page form: its fields, parsed and checked, and drawn again with errors next to
// the fields they are about. The checks shown are chosen with checkboxes and put in order by
// number; ties keep the list's order.
import { z } from 'zod';
import type { Check } from '../../store/store.ts';
import { Csrf } from '../layout.tsx';
import type { WebVariables } from '../session.ts';

export const STATUS_PAGE_SLUG = /^[a-z0-9-]{3,60}$/;
export const MAX_PAGE_CHECKS = 100;

const Fields = z.object({
  title: z.string().trim().min(1, 'a title is required').max(200, 'at most 200 characters'),
  slug: z.string().trim().regex(STATUS_PAGE_SLUG, '3 to 60 characters: lowercase letters, digits and -'),
});

export interface FormValues {
  title: string;
  slug: string;
  /** the chosen checks, in page order */
  checkIds: string[];
  /** the order numbers as typed, by check id */
  order: Record<string, string>;
}

export type FormErrors = Partial<Record<'title' | 'slug' | 'checks', string>>;

export function emptyValues(): FormValues {
  return { title: '', slug: '', checkIds: [], order: {} };
}

type Body = Record<string, string | File | (string | File)[]>;

/** The form's values, and what is wrong with them (nothing when `errors` is empty). */
export function parseForm(
  body: Body,
  projectChecks: readonly Check[],
): { values: FormValues; errors: FormErrors } {
  const text = (name: string) => {
    const v = body[name];
    return typeof v === 'string' ? v : '';
  };
  const chosen = [body.checks ?? []].flat().filter((v): v is string => typeof v === 'string');
  const order: Record<string, string> = {};
  for (const id of chosen) order[id] = text(`order_${id}`).trim();
  const known = new Map(projectChecks.map((ch, i) => [ch.id, i]));
  const errors: FormErrors = {};
  const unique = [...new Set(chosen)];
  if (unique.some((id) => !known.has(id))) errors.checks = 'a chosen check no longer exists; reload the page';
  else if (unique.length > MAX_PAGE_CHECKS) errors.checks = `at most ${MAX_PAGE_CHECKS} checks`;
  else if (unique.some((id) => order[id] !== '' && !/^\d{1,4}$/.test(order[id] ?? '')))
    errors.checks = 'order numbers are whole numbers from 0 to 9999';
  const rank = (id: string) => (order[id] ? Number(order[id]) : Number.MAX_SAFE_INTEGER);
  const checkIds = unique
    .filter((id) => known.has(id))
    .sort((a, b) => rank(a) - rank(b) || (known.get(a) ?? 0) - (known.get(b) ?? 0));
  const values: FormValues = { title: text('title'), slug: text('slug'), checkIds, order };
  const parsed = Fields.safeParse({ title: values.title, slug: values.slug });
  if (parsed.success) {
    values.title = parsed.data.title;
    values.slug = parsed.data.slug;
  } else {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === 'title' || field === 'slug') && !errors[field]) errors[field] = issue.message;
    }
  }
  return { values, errors };
}

export interface FormProps {
  ctx: WebVariables;
  action: string;
  submit: string;
  values: FormValues;
  errors: FormErrors;
  checks: readonly Check[];
  baseUrl: string;
}

export function StatusPageForm({ ctx, action, submit, values, errors, checks, baseUrl }: FormProps) {
  const chosen = new Set(values.checkIds);
  const byId = new Map(checks.map((ch) => [ch.id, ch]));
  // chosen checks first, in page order, then the rest by name
  const listed = [
    ...values.checkIds.map((id) => byId.get(id)).filter((ch): ch is Check => ch !== undefined),
    ...checks.filter((ch) => !chosen.has(ch.id)),
  ];
  return (
    <form method="post" action={action}>
      <Csrf ctx={ctx} />
      <label>
        Title
        <input
          name="title"
          value={values.title}
          maxlength={200}
          required
          aria-invalid={invalid(errors.title)}
        />
        {errors.title ? <small class="error">{errors.title}</small> : null}
      </label>
      <label>
        Address
        <input
          name="slug"
          value={values.slug}
          pattern="[a-z0-9\-]{3,60}"
          required
          aria-invalid={invalid(errors.slug)}
          aria-describedby="slug-help"
        />
        <small id="slug-help" class={errors.slug ? 'error' : undefined}>
          {errors.slug ?? `${baseUrl}/status/<address>: 3 to 60 lowercase letters, digits and -`}
        </small>
      </label>
      <fieldset>
        <legend>Checks to show</legend>
        {errors.checks ? <small class="error">{errors.checks}</small> : null}
        {listed.length === 0 ? (
          <p class="muted">This project has no checks yet.</p>
        ) : (
          <table class="compact">
            <thead>
              <tr>
                <th scope="col">Show</th>
                <th scope="col">Check</th>
                <th scope="col">Order</th>
              </tr>
            </thead>
            <tbody>
              {listed.map((ch, i) => (
                <tr>
                  <td>
                    <input
                      type="checkbox"
                      name="checks"
                      value={ch.id}
                      id={`check-${ch.id}`}
                      checked={chosen.has(ch.id)}
                    />
                  </td>
                  <td>
                    <label for={`check-${ch.id}`}>{ch.name}</label> <small class="muted">{ch.slug}</small>
                  </td>
                  <td>
                    <input
                      type="number"
                      class="order-input"
                      name={`order_${ch.id}`}
                      min={0}
                      max={9999}
                      value={values.order[ch.id] || (chosen.has(ch.id) ? String(i + 1) : '')}
                      aria-label={`Order of ${ch.name}`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <small class="muted">Checked checks appear on the page by their order number, lowest first.</small>
      </fieldset>
      <button type="submit">{submit}</button>
    </form>
  );
}

function invalid(error: string | undefined): 'true' | undefined {
  return error ? 'true' : undefined;
}
