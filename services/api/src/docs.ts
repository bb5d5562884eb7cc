import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { openApiComponents } from './openapi/components.ts';
import { edgePaths } from './openapi/edge-paths.ts';

export const DOCS_PREFIX = '/docs';

/**
 * OpenAPI generated from the routes' zod schemas (fastify-type-provider-zod turns them into JSON
 * Schema): the UI at /docs, the document itself at /docs/json. Register before the routes.
 * It covers the whole public origin: the edge's routes, which this API does not serve, are described
 * in openapi/edge-paths.ts and given as the document's starting paths.
 */
export async function registerDocs(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'authgate',
        description:
          'Every REST route of authgate\'s public origin: the edge\'s (auth commands, verify, results, JWKS, /ws) and the account API\'s. Errors: `{ "error": { "code", "message", "requestId" } }` (docs/errors.md). Every string field (body, query, path; keys too) refuses U+0000 and unpaired surrogates with `400 invalid_request`.',
        version,
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      paths: await edgePaths(),
    },
    // Both transforms know the named schemas: a route's `$ref` to one and its entry under components.
    transform: createJsonSchemaTransform({ schemaRegistry: openApiComponents }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry: openApiComponents }),
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
