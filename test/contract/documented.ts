import { readFileSync } from 'node:fs';

/**
 * What docs/ says is served, read from the lines docs/README.md ("Kept true by a test") asks each
 * page to keep in one form.
 */

export const DOCS_DIR = new URL('../../docs/', import.meta.url);

export function readDoc(name: string): string {
  return readFileSync(new URL(name, DOCS_DIR), 'utf8');
}

export interface DocumentedRoute {
  method: string;
  path: string;
  server: string;
  line: number;
}

const METHOD = 'GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS';

/** rest.md's table rows: `| METHOD /path | server | ...`. */
export function routeRows(markdown: string): DocumentedRoute[] {
  const row = new RegExp(`^\\| (${METHOD}) (/\\S*) \\| (\\w+) \\|`);
  return markdown.split('\n').flatMap((text, index) => {
    const match = row.exec(text);
    return match ? [{ method: match[1]!, path: match[2]!, server: match[3]!, line: index + 1 }] : [];
  });
}

/** rest.md's `### METHOD /path` sections. */
export function routeSections(markdown: string): Array<{ method: string; path: string; line: number }> {
  const heading = new RegExp(`^### (${METHOD}) (/\\S*)\\s*$`);
  return markdown.split('\n').flatMap((text, index) => {
    const match = heading.exec(text);
    return match ? [{ method: match[1]!, path: match[2]!, line: index + 1 }] : [];
  });
}

/** websocket.md's client message rows: ``| → `type` |``. */
export function clientMessageRows(markdown: string): string[] {
  return markdown.split('\n').flatMap((text) => /^\| → `([a-z_]+)` \|/.exec(text)?.[1] ?? []);
}

/** errors.md's code rows: ``| `code` | status |``. */
export function errorCodeRows(markdown: string): Array<{ code: string; status: number }> {
  return markdown.split('\n').flatMap((text) => {
    const match = /^\| `([a-z_]+)` \| (\d{3}) \|/.exec(text);
    return match ? [{ code: match[1]!, status: Number(match[2]) }] : [];
  });
}

/** `/users/by-email/:email` as OpenAPI spells it: `/users/by-email/{email}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
