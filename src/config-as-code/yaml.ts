// Reading and writing config files. The `yaml` package (already installed: @hono/zod-openapi
// depends on it) parses YAML and JSON alike and keeps every node's position, which is what
// lets an error say `vigil.yaml:12: checks[1].schedule.expression: ...`.
import { type Document, isNode, LineCounter, parseDocument, stringify } from 'yaml';
import { type ConfigFile, ConfigFileSchema, type FilePath, formatPath } from './schema.ts';

/** A file that cannot be used as it is; the message names file, line and field. */
export class ConfigFileError extends Error {}

export interface ParsedConfig {
  config: ConfigFile;
  /** the 1-based line of the path, or of its nearest ancestor in the file */
  lineOf(path: FilePath): number;
  /** `file:line: path: message` */
  problem(path: FilePath, message: string): string;
}

export const MASKED_NOTE =
  'Secrets are masked ("••••" + the last 4 characters): apply keeps the stored secret for a masked value. ' +
  'Write the real value here only to change it.';

function locator(doc: Document, lines: LineCounter, file: string) {
  const lineOf = (path: FilePath): number => {
    for (let i = path.length; i >= 0; i--) {
      const node = i === 0 ? doc.contents : doc.getIn(path.slice(0, i), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return 1;
  };
  const problem = (path: FilePath, message: string) =>
    `${file}:${lineOf(path)}: ${path.length > 0 ? `${formatPath(path)}: ` : ''}${message}`;
  return { lineOf, problem };
}

/** Parses and validates a config file (YAML, or JSON, which YAML reads too). */
export function parseConfigFile(text: string, file: string): ParsedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lines.linePos(firstError.pos[0]).line;
    throw new ConfigFileError(`${file}:${line}: ${firstError.message.split('\n')[0]}`);
  }
  const { lineOf, problem } = locator(doc, lines, file);
  const data: unknown = doc.toJS() ?? {};
  const parsed = ConfigFileSchema.safeParse(data);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const names = issue.keys.map((k) => JSON.stringify(k)).join(', ');
        return problem(
          [...issue.path, issue.keys[0]!] as FilePath,
          `unknown field${issue.keys.length > 1 ? 's' : ''} ${names}`,
        );
      }
      return problem(issue.path as FilePath, issue.message);
    });
    throw new ConfigFileError(messages.join('\n'));
  }
  return { config: parsed.data, lineOf, problem };
}

/** The file text for `data`: YAML with the note on masked secrets as a comment, or JSON with it as "//". */
export function writeConfigFile(data: ConfigFile, format: 'yaml' | 'json'): string {
  const { '//': _, ...rest } = data;
  if (format === 'json') return `${JSON.stringify({ '//': MASKED_NOTE, ...rest }, null, 2)}\n`;
  const header = [
    '# vigil configuration: `vigil apply -f FILE` makes the server match it.',
    `# ${MASKED_NOTE}`,
  ];
  return `${header.join('\n')}\n${stringify(rest, { lineWidth: 0 })}`;
}

/** json for a `.json` name, yaml otherwise. */
export function formatOf(file: string): 'yaml' | 'json' {
  return /\.json$/i.test(file) ? 'json' : 'yaml';
}
