// A flat, shields.io-style badge as SVG: "label | message" on grey and a status colour. Pure.
// The SVG is built as a string, so every text in it goes through escapeXml.

export const BADGE_COLORS = {
  brightgreen: '#4c1',
  yellow: '#dfb317',
  red: '#e05d44',
  lightgrey: '#9f9f9f',
} as const;

export type BadgeColor = keyof typeof BADGE_COLORS;

// Advance widths of Verdana at 11px (the font shields.io measures with), for the characters
// badges mostly carry. Others get an average width, wide scripts a wide one: an estimate is
// enough, since textLength below makes the renderer fit the text to exactly this width.
// biome-ignore format: a table reads better packed
const WIDTHS: Record<string, number> = {
  ' ': 3.9, '!': 4.3, '"': 5, '#': 9, $: 7, '%': 12, '&': 8, "'": 3, '(': 5, ')': 5, '*': 7,
  '+': 9, ',': 4, '-': 5, '.': 4, '/': 5, ':': 5, ';': 5, '<': 9, '=': 9, '>': 9, '?': 6,
  '@': 11, '[': 5, '\\': 5, ']': 5, '^': 9, _: 7, '`': 7, '{': 7, '|': 5, '}': 7, '~': 9,
  a: 6.7, b: 6.8, c: 5.7, d: 6.8, e: 6.6, f: 3.8, g: 6.8, h: 7, i: 3, j: 3.8, k: 6.5, l: 3,
  m: 10.7, n: 7, o: 6.7, p: 6.8, q: 6.8, r: 4.7, s: 5.7, t: 4.3, u: 7, v: 6.5, w: 9, x: 6.5,
  y: 6.5, z: 5.8, A: 7.5, B: 7.5, C: 7.7, D: 8.5, E: 7, F: 6.3, G: 8.5, H: 8.3, I: 4.6, J: 5,
  K: 7.6, L: 6.1, M: 9.3, N: 8.2, O: 8.7, P: 6.6, Q: 8.7, R: 7.6, S: 7.5, T: 6.8, U: 8,
  V: 7.5, W: 10.9, X: 7.5, Y: 6.8, Z: 7.5,
};
const DIGIT = 7;
const OTHER = 7.5;
const WIDE = 11;

/** The estimated width of `text` in Verdana 11px. */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') width += DIGIT;
    else width += WIDTHS[ch] ?? ((ch.codePointAt(0) ?? 0) >= 0x2e80 ? WIDE : OTHER);
  }
  return Math.round(width * 10) / 10;
}

/** Escapes text for XML content and attributes, dropping the control characters XML forbids. */
export function escapeXml(text: string): string {
  return [...text]
    .filter(allowedInXml)
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function allowedInXml(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20) return cp === 0x9 || cp === 0xa || cp === 0xd;
  return !(cp >= 0xd800 && cp <= 0xdfff) && cp !== 0xfffe && cp !== 0xffff;
}

const PADDING = 5;

export function badgeSvg(label: string, message: string, color: BadgeColor): string {
  const labelText = Math.ceil(textWidth(label));
  const messageText = Math.ceil(textWidth(message));
  const left = labelText + 2 * PADDING;
  const right = messageText + 2 * PADDING;
  const width = left + right;
  const l = escapeXml(label);
  const m = escapeXml(message);
  const text = (x: number, length: number, s: string) =>
    `<text x="${x}" y="15" fill="#010101" fill-opacity=".3" textLength="${length}">${s}</text>` +
    `<text x="${x}" y="14" textLength="${length}">${s}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${l}: ${m}">`,
    `<title>${l}: ${m}</title>`,
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>',
    '<stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${left}" height="20" fill="#555"/>`,
    `<rect x="${left}" width="${right}" height="20" fill="${BADGE_COLORS[color]}"/>`,
    `<rect width="${width}" height="20" fill="url(#s)"/></g>`,
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">',
    text(left / 2, labelText, l),
    text(left + right / 2, messageText, m),
    '</g></svg>',
  ].join('');
}
