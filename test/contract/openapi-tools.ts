import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';

/** What client tools require of the OpenAPI document, as checks shared by the in-process and the served-document tests. */

export type OpenApiDocument = { paths: Record<string, Record<string, { operationId?: string }>> };

const HTTP_METHODS = /^(get|put|post|delete|patch|head|options|trace)$/;

export function operations(document: OpenApiDocument): Array<{ operation: string; operationId: string | undefined }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.test(method))
      .map(([method, operation]) => ({ operation: `${method.toUpperCase()} ${path}`, operationId: operation.operationId })),
  );
}

/** Operations a client generator could not name once and for good: none without an operationId, none sharing one, each a plain identifier. */
export function operationIdProblems(document: OpenApiDocument): { unnamed: string[]; shared: string[]; unusable: string[] } {
  const all = operations(document);
  const seen = new Map<string, string>();
  const named = all.filter((o): o is { operation: string; operationId: string } => Boolean(o.operationId));
  return {
    unnamed: all.filter((o) => !o.operationId).map((o) => o.operation),
    shared: named
      .filter((o) => seen.has(o.operationId) || !seen.set(o.operationId, o.operation))
      .map((o) => `${o.operationId}: ${o.operation} and ${seen.get(o.operationId)}`),
    unusable: named.filter((o) => !/^[a-z][a-z0-9_]*$/.test(o.operationId)).map((o) => o.operationId),
  };
}

/** swagger-parser's validation, which resolves every `$ref` (it dereferences in place: it is given a copy). */
export async function validateWithSwaggerParser(document: OpenApiDocument): Promise<void> {
  await SwaggerParser.validate(structuredClone(document) as never);
}

/** The TypeScript source openapi-typescript generates from the document. */
export async function generatedClientTypes(document: OpenApiDocument): Promise<string> {
  return astToString(await openapiTS(structuredClone(document) as never));
}
