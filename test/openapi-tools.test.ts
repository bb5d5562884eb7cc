import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { generatedClientTypes, type OpenApiDocument, operationIdProblems, operations, validateWithSwaggerParser } from './contract/openapi-tools.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';

/**
 * The OpenAPI document as tools consume it: fetched from a running account API (the all-in-one
 * process, and the api service on its own), validated by swagger-parser (which resolves every
 * `$ref`), and turned into a typed client by openapi-typescript. A client generator needs each
 * operation named once and for good: every operation has an operationId, unique, the same in both shapes.
 */

/** The generated `paths` member of one path (openapi-typescript indents members by four spaces). */
function pathItem(source: string, path: string): string {
  const start = source.indexOf(`\n    "${path}": {`);
  return start < 0 ? '' : source.slice(start, source.indexOf('\n    };', start));
}

async function served(url: string): Promise<OpenApiDocument> {
  const answer = await fetch(`${url}/docs/json`);
  assert.equal(answer.status, 200, `GET ${url}/docs/json`);
  return (await answer.json()) as OpenApiDocument;
}

describe('the served OpenAPI document works with swagger-parser and openapi-typescript', () => {
  const data = tempDir('openapi-tools');
  const namespace = uniqueNamespace('openapi-tools');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const documents: Record<'all-in-one' | 'api service', OpenApiDocument> = {} as never;

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
      await assert.doesNotReject(validateWithSwaggerParser(documents[shape]));
    });

    test(`${shape}: every operation has an operationId, and no two share one`, () => {
      assert.ok(operations(documents[shape]).length > 40, `only ${operations(documents[shape]).length} operations`);
      assert.deepEqual(operationIdProblems(documents[shape]), { unnamed: [], shared: [], unusable: [] });
    });

    test(`${shape}: openapi-typescript generates a typed client source naming the login and passkey operations`, async () => {
      const source = await generatedClientTypes(documents[shape]);
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
    const ids = (document: OpenApiDocument) =>
      operations(document)
        .map((o) => `${o.operationId} = ${o.operation}`)
        .sort();
    assert.deepEqual(ids(documents['api service']), ids(documents['all-in-one']));
  });
});
