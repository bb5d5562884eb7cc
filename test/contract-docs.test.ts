import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ERROR_STATUS } from '@authgate/shared/errors';
import { clientFrame } from '@authgate/shared/protocol';
import { clientMessageRows, DOCS_DIR, errorCodeRows, openApiPath, readDoc, routeRows, routeSections } from './contract/documented.ts';
import { apiRoutes, EDGE_CATCH_ALL, edgeRoutes, type ApiRoutes, type ServedRoute } from './contract/served-routes.ts';

/**
 * docs/ and the OpenAPI document against what the code really serves: the routes both servers
 * register, the WebSocket messages the protocol accepts, the error codes. Each check runs both ways:
 * nothing served is undocumented, nothing documented is not served.
 */

/** swagger-ui's own scripts and styles: part of GET /docs, not routes of their own. */
const DOCS_ASSETS = '/docs/static/';

const key = (route: { method: string; path: string }) => `${route.method} ${route.path}`;
const list = (items: string[]) => items.map((item) => `\n  - ${item}`).join('');

describe('docs/ and the OpenAPI document describe what the code serves', () => {
  const rest = readDoc('rest.md');
  const rows = routeRows(rest);
  let edge: ServedRoute[];
  let api: ApiRoutes;
  let openapi: { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;

  before(async () => {
    edge = edgeRoutes().filter((route) => route.path !== EDGE_CATCH_ALL);
    api = await apiRoutes();
    const answer = await api.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(answer.statusCode, 200, `GET /docs/json: ${answer.body.slice(0, 300)}`);
    openapi = answer.json();
  });

  after(async () => {
    await api?.app.close();
  });

  const served = () => ({
    edge: edge.map(key),
    // The API's routes as users see them: the docs' asset routes are part of GET /docs.
    api: api.routes.filter((route) => !route.path.startsWith(DOCS_ASSETS)).map(key),
  });

  test('the recorders found the routes (a broken recorder would make every check below vacuous)', () => {
    assert.ok(served().edge.includes('POST /auth/login') && served().edge.includes('GET /ws'), `edge routes recorded: ${served().edge.join(', ')}`);
    assert.ok(served().api.includes('GET /auth/me'), `API routes recorded: ${served().api.join(', ')}`);
  });

  test('docs/rest.md has a row for every route each server serves', () => {
    const missing = Object.entries(served()).flatMap(([server, routes]) =>
      routes
        .filter((route) => !rows.some((row) => key(row) === route && row.server === server))
        .map(
          (route) => `"| ${route} | ${server} |" (served by ${server === 'edge' ? 'services/edge/src/http/routes.ts or ws/socket.ts' : 'services/api/src'})`,
        ),
    );
    assert.deepEqual(missing, [], `docs/rest.md has no route table row for:${list(missing)}`);
  });

  test('docs/rest.md lists no route its server does not serve', () => {
    const byServer = served() as Record<string, string[]>;
    const extra = rows.filter((row) => !byServer[row.server]?.includes(key(row))).map((row) => `line ${row.line}: "| ${key(row)} | ${row.server} |"`);
    assert.deepEqual(extra, [], `docs/rest.md lists routes that the server it names does not serve (edge or api):${list(extra)}`);
  });

  test('docs/rest.md has a "### METHOD /path" section for every route, and none for a route not served', () => {
    const all = new Set([...served().edge, ...served().api]);
    const sections = routeSections(rest);
    const missing = [...all].filter((route) => !sections.some((section) => key(section) === route));
    const extra = sections.filter((section) => !all.has(key(section))).map((section) => `line ${section.line}: ### ${key(section)}`);
    assert.deepEqual(missing, [], `docs/rest.md has no "### METHOD /path" section for:${list(missing)}`);
    assert.deepEqual(extra, [], `docs/rest.md has sections for routes no server serves:${list(extra)}`);
  });

  test("the OpenAPI document (GET /docs/json) has an operation for every route, the edge's included", () => {
    const hiddenOutsideDocs = api.routes.filter((route) => route.hidden && !route.path.startsWith('/docs')).map(key);
    assert.deepEqual(hiddenOutsideDocs, [], `API routes hidden from the OpenAPI document (schema.hide) outside /docs:${list(hiddenOutsideDocs)}`);
    const expected = [
      ...edge.map((route) => ({ route, from: 'edge (add it to services/api/src/openapi/edge-paths.ts)' })),
      ...api.routes.filter((route) => !route.hidden).map((route) => ({ route, from: 'api (give the route a schema)' })),
    ];
    const missing = expected
      .filter(({ route }) => !openapi.paths[openApiPath(route.path)]?.[route.method.toLowerCase()])
      .map(({ route, from }) => `${route.method} ${openApiPath(route.path)}: ${from}`);
    assert.deepEqual(missing, [], `the OpenAPI document has no operation for:${list(missing)}`);
  });

  test('the OpenAPI document describes no route that is not served', () => {
    const all = new Set([...edge, ...api.routes].map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path)}`));
    const operations = Object.entries(openapi.paths).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => /^(get|put|post|delete|patch|head|options)$/.test(m))
        .map((m) => `${m} ${p}`),
    );
    const extra = operations.filter((operation) => !all.has(operation));
    assert.deepEqual(extra, [], `the OpenAPI document describes operations no server serves:${list(extra)}`);
  });

  test('docs/websocket.md has a row for every client message type of clientFrame, and no other', () => {
    const types = clientFrame.options.map((option) => option.shape.type.value as string);
    const documented = clientMessageRows(readDoc('websocket.md'));
    const missing = types.filter((type) => !documented.includes(type)).map((type) => `"| → \`${type}\` |"`);
    const extra = documented.filter((type) => !types.includes(type));
    assert.deepEqual(missing, [], `docs/websocket.md has no row for these messages of clientFrame (shared/src/protocol.ts):${list(missing)}`);
    assert.deepEqual(extra, [], `docs/websocket.md documents client messages that clientFrame does not accept:${list(extra)}`);
  });

  test('docs/errors.md has a row with the right status for every error code, and no other', () => {
    const documented = errorCodeRows(readDoc('errors.md'));
    const codes = Object.entries(ERROR_STATUS);
    const wrong = codes
      .filter(([code, status]) => !documented.some((row) => row.code === code && row.status === status))
      .map(([code, status]) => `"| \`${code}\` | ${status} |"${documented.some((row) => row.code === code) ? ' (listed with another status)' : ''}`);
    const extra = documented.filter((row) => !(row.code in ERROR_STATUS)).map((row) => `${row.code} ${row.status}`);
    assert.deepEqual(wrong, [], `docs/errors.md has no row for these codes of shared/src/errors.ts:${list(wrong)}`);
    assert.deepEqual(extra, [], `docs/errors.md lists codes that shared/src/errors.ts does not have:${list(extra)}`);
  });

  test("the OpenAPI document's error answers name every error code", () => {
    const enums: string[][] = [];
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const code = (node as { properties?: { error?: { properties?: { code?: { enum?: unknown } } } } }).properties?.error?.properties?.code?.enum;
      if (Array.isArray(code)) enums.push(code as string[]);
      for (const child of Object.values(node)) walk(child);
    };
    walk(openapi.paths);
    assert.ok(enums.length > 0, 'the OpenAPI document has no error answer with a `code` enum');
    const codes = Object.keys(ERROR_STATUS);
    const short = enums.map((e) => codes.filter((code) => !e.includes(code))).filter((missing) => missing.length > 0);
    assert.deepEqual(short, [], `error answers in the OpenAPI document lack codes (services/api/src/schemas.ts errorAnswer): ${JSON.stringify(short)}`);
  });

  test('docs/ pages link only to files that exist', () => {
    const broken = readdirSync(DOCS_DIR)
      .filter((name) => name.endsWith('.md'))
      .flatMap((name) =>
        [...readDoc(name).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
          .map((match) => match[1]!)
          .filter((target) => !/^[a-z]+:/.test(target) && !existsSync(new URL(target, DOCS_DIR)))
          .map((target) => `docs/${name} → ${target}`),
      );
    assert.deepEqual(broken, [], `broken links:${list(broken)}`);
  });
});

test('no code, script or configuration cites the contract outside the repository', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const needle = ['API', 'md'].join('.');
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.') || name === 'reports') continue;
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|mjs|cjs|js|lua|conf|template|ya?ml|json|sh)$/.test(name) && full !== self) {
        readFileSync(full, 'utf8')
          .split('\n')
          .forEach((line, index) => {
            if (line.includes(needle)) hits.push(`${path.relative(root, full)}:${index + 1}`);
          });
      }
    }
  };
  for (const dir of ['bin', 'services', 'shared', 'scripts', 'test', 'load-tests', 'nginx']) walk(path.join(root, dir));
  assert.deepEqual(hits, [], `these lines cite ${needle}, which a clone of this repository does not have; cite the docs/ page instead:${list(hits)}`);
});
