// fast-check arbitraries for hostile HTTP input: path segments, query strings, headers and
// bodies that are wrong in the ways clients and attackers get them wrong. JSON bodies come
// from the OpenAPI request schemas (so a new route is fuzzed with bodies close enough to valid
// to reach its handler) and from mutated valid bodies, with nasty values planted in their
// leaves: numbers JSON.parse turns into Infinity or -0, 2^64, deep nesting, lone surrogates.
import fc from 'fast-check';
import type { JsonSchema, OpenApiDoc } from './route-list.ts';

/** JSON text that JSON.stringify cannot produce (1e309, -0, 10k levels of nesting), planted as is. */
class Raw {
  constructor(readonly text: string) {}
}

const MARK = '\u0001raw\u0001';
const MARKED = /"\\u0001raw\\u0001(.*?)\\u0001raw\\u0001"/g;

/** JSON.stringify, with every Raw value written as its text. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Raw ? `${MARK}${v.text}${MARK}` : v));
  // each mark holds the raw text as a JSON string's content: read it back as the text itself
  return (text ?? 'null').replace(MARKED, (_m, escaped: string) => JSON.parse(`"${escaped}"`) as string);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** %-encoding that takes any string: a lone surrogate (which has no UTF-8) becomes U+FFFD. */
export const encode = (s: string) => encodeURIComponent(s.replace(LONE_SURROGATE, '\ufffd'));

const nest = (open: string, leaf: string, close: string, n: number) =>
  open.repeat(n) + leaf + close.repeat(n);

export const DEEP_ARRAY = nest('[', '', ']', 10_000);
export const DEEP_OBJECT = nest('{"a":', '1', '}', 10_000);

const hugeNumber = fc.constantFrom(
  '1e309',
  '-1e309',
  '18446744073709551616',
  '-18446744073709551617',
  '-0',
  '1e-400',
  '9007199254740993',
  '123456789012345678901234567890.5',
  '0.30000000000000004',
  '1E+2',
);

/** Strings that mean something to some part of a server (paths, SQL, cron, time, URLs, HTML). */
const interestingString = fc.constantFrom(
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '\udfff\ud800',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  "'; DROP TABLE checks; --",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text a log4j-style lookup reads
  '${jndi:ldap://x}',
  '* * * * * * *',
  '59 23 31 2 *',
  '@reboot',
  '0 0 30 2 *',
  'Mars/Olympus_Mons',
  'Etc/GMT+99',
  '2026-13-45T99:99:99Z',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  'javascript:alert(1)',
  'http://[::1',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  'http://a:b@127.0.0.1:0/',
  'a@b',
  'x'.repeat(5000),
  '\u202e\u0646\u{1F600}\u0301',
);

const anyString = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: interestingString },
);

/** A value that is wrong for almost any field. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hugeNumber.map((t) => new Raw(t)) },
  { weight: 4, arbitrary: anyString },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      0.5,
      2 ** 53,
      -(2 ** 63),
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      [],
      {},
      [null],
      { __proto__: null, constructor: { prototype: 1 } },
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 30_000 }).map((n) => 'é'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(new Raw(DEEP_ARRAY), new Raw(DEEP_OBJECT)) },
  { weight: 1, arbitrary: fc.constant(new Raw('{"__proto__":{"readOnly":false},"a":1}')) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

function resolve(schema: JsonSchema, doc: OpenApiDoc): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const found = doc.components?.schemas?.[name];
  if (!found) throw new Error(`the OpenAPI document has no schema ${ref}`);
  return resolve(found, doc);
}

/** A string the schema's pattern accepts, when fast-check can read the pattern. */
function patterned(pattern: string, maxLength: number): fc.Arbitrary<string> | null {
  try {
    return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length <= maxLength);
  } catch {
    return null; // e.g. a lookahead
  }
}

function leafOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const num = (k: string, d: number) => (typeof schema[k] === 'number' ? (schema[k] as number) : d);
  switch (schema.type) {
    case 'string': {
      const max = Math.min(num('maxLength', 40), 200);
      const min = Math.min(num('minLength', 0), max);
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      const p = typeof schema.pattern === 'string' ? patterned(schema.pattern, max) : null;
      return p ?? fc.string({ minLength: min, maxLength: max });
    }
    case 'integer':
      return fc.integer({
        min: Math.max(num('minimum', -1000), -1e9),
        max: Math.min(num('maximum', 1e6), 1e9),
      });
    case 'number':
      return fc.double({
        min: num('minimum', -1e6),
        max: num('maximum', 1e6),
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * Values shaped by `schema` (objects with its properties, arrays of its items, strings of
 * its pattern...), with a nasty value in place of any part now and then.
 */
export function fromSchema(schema: JsonSchema, doc: OpenApiDoc, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  let shaped: fc.Arbitrary<unknown>;
  const alternatives = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (depth > 6) {
    shaped = fc.constant(null);
  } else if (alternatives) {
    shaped = fc.oneof(...alternatives.map((a) => fromSchema(a, doc, depth + 1)));
  } else if (Array.isArray(s.allOf)) {
    shaped = fromSchema(s.allOf[0] as JsonSchema, doc, depth + 1);
  } else if (Array.isArray(s.type)) {
    shaped = fc.oneof(...(s.type as string[]).map((t) => fromSchema({ ...s, type: t }, doc, depth + 1)));
  } else if (s.type === 'object' || s.properties) {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((s.required ?? []) as string[]);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, sub] of Object.entries(props)) model[name] = fromSchema(sub, doc, depth + 1);
    shaped = fc.record(model, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
  } else if (s.type === 'array') {
    const items = (s.items ?? {}) as JsonSchema;
    shaped = fc.array(fromSchema(items, doc, depth + 1), { maxLength: 3 });
  } else {
    shaped = leafOf(s);
  }
  return fc.oneof({ weight: 12, arbitrary: shaped }, { weight: 1, arbitrary: nastyValue });
}

type Json = unknown;

/** Every place in `value` a nasty value can go: its own spot, each property, each element. */
function places(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...places(v, [...at, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...places(v, [...at, k]));
  }
  return out;
}

function replaceAt(value: Json, path: (string | number)[], by: unknown): Json {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    Json
  >;
  copy[head!] = replaceAt(copy[head!], rest, by);
  return copy;
}

/** `valid` with one part replaced by a nasty value, one property dropped, or an unknown one added. */
export function mutated(valid: Json): fc.Arbitrary<unknown> {
  const spots = places(valid);
  const keyed = spots.filter((p) => p.length > 0 && typeof p.at(-1) === 'string');
  return fc.oneof(
    fc.tuple(fc.nat(), nastyValue).map(([i, v]) => replaceAt(valid, spots[i % spots.length]!, v)),
    fc.tuple(fc.nat(), nastyValue, fc.nat()).map(([i, v, j]) => {
      const twice = replaceAt(valid, spots[i % spots.length]!, v);
      return replaceAt(twice, spots[j % spots.length]!, v);
    }),
    fc.nat().map((i) => {
      if (keyed.length === 0) return valid;
      const path = keyed[i % keyed.length]!;
      const copy = structuredClone(valid) as Record<string, unknown>;
      let obj: Record<string | number, unknown> = copy;
      for (const p of path.slice(0, -1)) obj = obj[p] as Record<string | number, unknown>;
      delete obj[path.at(-1) as string];
      return copy;
    }),
    fc
      .tuple(anyString, nastyValue)
      .map(([k, v]) =>
        valid !== null && typeof valid === 'object' && !Array.isArray(valid) ? { ...valid, [k]: v } : valid,
      ),
  );
}

const enc = new TextEncoder();

/** JSON text with raw bytes that are not UTF-8 put inside its first string (or at its start). */
function withInvalidUtf8(text: string, bytes: Uint8Array): Uint8Array {
  const at = text.indexOf('"') + 1;
  const head = enc.encode(text.slice(0, at));
  const tail = enc.encode(text.slice(at));
  const out = new Uint8Array(head.byteLength + bytes.byteLength + tail.byteLength);
  out.set(head);
  out.set(bytes, head.byteLength);
  out.set(tail, head.byteLength + bytes.byteLength);
  return out;
}

const invalidUtf8 = fc.oneof(
  fc.constantFrom(
    Uint8Array.of(0xff),
    Uint8Array.of(0xc0, 0xaf),
    Uint8Array.of(0xed, 0xa0, 0x80),
    Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80),
    Uint8Array.of(0xe2, 0x82),
    Uint8Array.of(0xfe, 0xfe, 0xff, 0xff),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 16 }),
);

const brokenJson = fc.constantFrom(
  '{',
  '}',
  '{"a":',
  "{'a':1}",
  '{"a":1,}',
  '[1,]',
  'nul',
  'NaN',
  'Infinity',
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '\ufeff{}',
  '"just a string"',
  '[]',
  '0',
  'null',
  '{"a":"\\ud800"}',
  '{"a":"\\u00"}',
  '{"a":01}',
  '{"a":.5}',
  '{"a":1e}',
  '{"__proto__":null}',
);

export type Body = Uint8Array | undefined;

/**
 * Bodies for a route: none, empty, broken JSON, bytes that are not UTF-8, huge numbers, deep
 * nesting, and JSON shaped by its schema or mutated from the valid `examples` given.
 */
export function bodies(schema: JsonSchema | null, doc: OpenApiDoc, examples: unknown[]): fc.Arbitrary<Body> {
  // a valid body changed in one place reaches further into a handler than one made up whole
  const json: fc.WeightedArbitrary<unknown>[] = [];
  if (schema) json.push({ weight: 2, arbitrary: fromSchema(schema, doc) });
  for (const e of examples)
    json.push({ weight: 1, arbitrary: fc.constant(e) }, { weight: 3, arbitrary: mutated(e) });
  if (json.length === 0)
    json.push({ weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: nastyValue });
  const someJson = fc.oneof(...json);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 2, arbitrary: brokenJson.map((t) => enc.encode(t)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: hugeNumber.map((t) => enc.encode(t)) },
    { weight: 1, arbitrary: fc.constantFrom(DEEP_ARRAY, DEEP_OBJECT).map((t) => enc.encode(t)) },
    {
      weight: 2,
      arbitrary: fc.tuple(someJson, invalidUtf8).map(([v, bad]) => withInvalidUtf8(toJsonText(v), bad)),
    },
    { weight: 16, arbitrary: someJson.map((v) => enc.encode(toJsonText(v))) },
  );
}

/** A path segment, %-encoded the way it goes on the wire (sometimes wrongly). */
export const nastySegment: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%00',
      '%2F',
      '%5C',
      '%',
      '%zz',
      '%C0%AF',
      '%FF',
      '%ED%A0%80',
      '-1',
      '0',
      '1e309',
      'NaN',
      'null',
      '__proto__',
      'constructor',
      '00000000-0000-0000-0000-000000000000',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      'openapi.json',
      'by-slug',
      '%20',
      '+',
      ';',
      '@',
      '~',
    ),
  },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map(encode) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map(encode),
  },
  // latin1 bytes sent raw: not UTF-8 once the server decodes them
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 6,
    }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 6000 }).map((n) => 'a'.repeat(n)) },
);

/** A query string (with its "?", or empty) using the route's parameters and junk. */
export function queryString(names: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom('1', '0', '-1', '1e309', '99999999999999999999', 'true', 'false', 'yes', '', 'null'),
    anyString.map(encode),
    nastySegment,
    fc.uuid(),
  );
  const name =
    names.length > 0 ? fc.oneof(fc.constantFrom(...names), anyString.map(encode)) : anyString.map(encode);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    {
      weight: 5,
      arbitrary: fc
        .array(fc.tuple(name, value), { minLength: 1, maxLength: 4 })
        .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('?', '?&&==', '?%', '?a=%zz', '?=1', '?a[b]=1&a[c]=2', '?a=1&a=2&a=3'),
    },
  );
}

export const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'application/jsonx',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  '',
  '*/*',
  'application/json, text/plain',
  'application/json;;;',
);

/** Headers any request may carry: odd Accept, forwarded-for, cookies, htmx, long values. */
export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constant('Accept'),
      fc.constantFrom('*/*', 'text/html', 'application/json', 'text/event-stream', 'x'),
    ),
    fc.tuple(fc.constant('X-Forwarded-For'), fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', '')),
    fc.tuple(fc.constant('X-Forwarded-Proto'), fc.constantFrom('https', 'gopher')),
    fc.tuple(
      fc.constant('Cookie'),
      fc.constantFrom('vigil_session=x', `vigil_session=${'a'.repeat(150)}`, 'a=b; a=c', '=;;='),
    ),
    fc.tuple(fc.constant('HX-Request'), fc.constant('true')),
    fc.tuple(
      fc.constant('Last-Event-ID'),
      fc.constantFrom('0', '-1', '1e309', 'abc', '99999999999999999999'),
    ),
    fc.tuple(fc.constant('User-Agent'), fc.constantFrom('x'.repeat(4000), '', 'curl/8')),
    fc.tuple(fc.constant('Origin'), fc.constantFrom('https://evil.example', 'null')),
    fc.tuple(fc.constant('Content-Encoding'), fc.constantFrom('gzip', 'br', 'identity')),
    fc.tuple(fc.constant('Expect'), fc.constant('100-continue')),
    fc.tuple(fc.constant('Range'), fc.constantFrom('bytes=0-1', 'bytes=-1', 'bytes=x')),
  ),
  { maxLength: 3 },
);
