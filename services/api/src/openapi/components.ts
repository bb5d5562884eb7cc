import { z } from 'zod';

/**
 * Schemas the OpenAPI document names once, under `components/schemas`, and refers to by `$ref`.
 * A recursive schema must be here: fastify-type-provider-zod writes its recursion as a `$ref` to a
 * component, which only exists if the schema is registered with an id (services/api/src/docs.ts
 * hands this registry to both transforms). Input and output forms are emitted as `<id>Input` and `<id>`.
 */
export const openApiComponents = z.registry<{ id: string }>();

/** Any JSON value: what an application's own event may carry in `data`. */
export const jsonValue = z.json();
openApiComponents.add(jsonValue, { id: 'JsonValue' });
