import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';

/**
 * The OpenAPI document as tools consume it: fetched from a running account API (the all-in-one
 * process, and the api service on its own), validated by swagger-parser (which resolves every
 * `$ref`), and turned into a typed client by openapi-typescript. A client generator needs each
 * operation named once and for good: every operation has an operationId, unique, the same in both shapes.
 */

type Document = { paths: Record<string, Record<string, { operationId?: string }>> };

const HTTP_METHODS = /^(get|put|post|delete|patch|head|options|trace)$/;

function operations(document: Document): Array<{ operation: string; operationId: string | undefined }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.test(method))
      .map(([method, operation]) => ({ operation: `${method.toUpperCase()} ${path}`, operationId: operation.operationId })),
  );
}

/** The generated `paths` member of one path (openapi-typescript indents members by four spaces). */
function pathItem(source: string, path: string): string {
  const start = source.indexOf(`\n    "${path}": {`);
  return start < 0 ? '' : source.slice(start, source.indexOf('\n    };', start));
}

async function served(url: string): Promise<Document> {
  const answer = await fetch(`${url}/docs/json`);
  assert.equal(answer.status, 200, `GET ${url}/docs/json`);
  return (await answer.json()) as Document;
}

describe('the served OpenAPI document works with swagger-parser and openapi-typescript', () => {
  const data = tempDir('openapi-tools');
  const namespace = uniqueNamespace('openapi-tools');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const documents: Record<'all-in-one' | 'api service', Document> = {} as never;

  before(async () => {
    database = await createTestDatabase('openapi_tools');
    const all = await startProcess('all', { DATA_DIR: `${data.dir}/all` });
    processes.push(all);
    const api = await startProcess('api', { DATA_DIR: `${data.dir}/api`, DATABASE_URL: database.url, REDIS_URL, NAMESPACE: namespace });
    processes.push(api);
    documents['all-in-one'] = await served(all.url);
    documents['api service'] = await served(api.url);
  });

  after(async () => {
    for (const running of processes) await running.stop();
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  for (const shape of ['all-in-one', 'api service'] as const) {
    test(`${shape}: swagger-parser validates the document and resolves every $ref`, async () => {
      // validate() dereferences in place: it is given a copy.
      await assert.doesNotReject(SwaggerParser.validate(structuredClone(documents[shape]) as never));
    });

    test(`${shape}: every operation has an operationId, and no two share one`, () => {
      const all = operations(documents[shape]);
      assert.ok(all.length > 40, `only ${all.length} operations`);
      const unnamed = all.filter((o) => !o.operationId).map((o) => o.operation);
      assert.deepEqual(unnamed, [], 'operations without an operationId');
      const seen = new Map<string, string>();
      const shared = all
        .filter((o) => seen.has(o.operationId!) || !seen.set(o.operationId!, o.operation))
        .map((o) => `${o.operationId}: ${o.operation} and ${seen.get(o.operationId!)}`);
      assert.deepEqual(shared, [], 'operationIds used twice');
      const unusable = all.filter((o) => !/^[a-z][a-z0-9_]*$/.test(o.operationId!)).map((o) => o.operationId);
      assert.deepEqual(unusable, [], 'operationIds a generator cannot use as an identifier as they are');
    });

    test(`${shape}: openapi-typescript generates a typed client source naming the login and passkey operations`, async () => {
      const source = astToString(await openapiTS(structuredClone(documents[shape]) as never));
      const { diagnostics = [] } = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
      assert.deepEqual(
        diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
        [],
        'the generated source is valid TypeScript',
      );
      for (const [path, method, operationId] of [
        ['/auth/login', 'post', 'edge_login'],
        ['/auth/passkeys/login/options', 'post', 'edge_passkey_login_options'],
        ['/auth/passkeys/login', 'post', 'edge_passkey_login'],
        ['/auth/me', 'get', 'api_me'],
      ]) {
        assert.match(source, new RegExp(`\\n    ${operationId}: \\{`), `the operations interface has ${operationId}`);
        assert.ok(pathItem(source, path!).includes(`${method}: operations["${operationId}"];`), `${method} ${path} is operations["${operationId}"]`);
      }
      // The JSON value an application event carries is a named, recursive type rather than a dangling reference.
      assert.match(source, /JsonValueInput: .*components\["schemas"\]\["JsonValueInput"\]/s);
    });
  }

  test('both shapes name the same operations with the same operationIds', () => {
    const ids = (document: Document) =>
      operations(document)
        .map((o) => `${o.operationId} = ${o.operation}`)
        .sort();
    assert.deepEqual(ids(documents['api service']), ids(documents['all-in-one']));
  });
});
