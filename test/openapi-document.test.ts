import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type OpenApiDocument, operationIdProblems, validateWithSwaggerParser } from './contract/openapi-tools.ts';
import { type ApiRoutes, apiRoutes } from './contract/served-routes.ts';

/**
 * The OpenAPI document as the account API builds it, in-process (inert dependencies, as
 * contract-docs.test.ts builds it): the quick check, in `npm run test:fast`, that a new route left no
 * operation unnamed and no `$ref` dangling. test/openapi-tools.test.ts checks the served document of
 * both shapes and generates a client from it.
 */
let api: ApiRoutes;
let document: OpenApiDocument;

before(async () => {
  api = await apiRoutes();
  const answer = await api.app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(answer.statusCode, 200, answer.body.slice(0, 300));
  document = answer.json();
});

after(async () => {
  await api?.app.close();
});

test('swagger-parser validates the document and resolves every $ref', async () => {
  await assert.doesNotReject(validateWithSwaggerParser(document));
});

test('every operation has an operationId, a plain identifier used once', () => {
  assert.deepEqual(operationIdProblems(document), { unnamed: [], shared: [], unusable: [] });
});
