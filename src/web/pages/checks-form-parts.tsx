// The check form's small pieces: a field's error message, and the attributes that tie it to its input.
import type { FieldErrors, FormValues } from './checks-form-input.ts';

export function Err({ errors, field }: { errors: FieldErrors; field: keyof FormValues }) {
  const message = errors[field];
  return message ? (
    <small id={`${field}-error`} class="error">
      {message}
    </small>
  ) : null;
}

/** The attributes that mark an input invalid and point at its message. */
export function invalid(errors: FieldErrors, field: keyof FormValues) {
  return errors[field] ? { 'aria-invalid': 'true', 'aria-describedby': `${field}-error` } : {};
}
