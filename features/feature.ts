import type { z } from 'zod';
import type { FeatureWorker } from '@authgate/worker/feature';
import type { CommandRoute } from './routes.ts';

export type { CommandRoute, RestRoute } from './routes.ts';

/**
 * What a feature declares: its commands, each as the whole wire contract of one request, and where
 * its runtime parts are. The ordered list of features (features/list.ts) generates from these the
 * protocol tables, the edge's REST routes and WebSocket dispatch, the metrics' route names, the
 * worker's handler map, the OpenAPI paths; the SDK's table is checked against it.
 *
 * A contract is edge-safe: zod and constants only. The parts that need a database or bcrypt are
 * behind `worker` and load only in a worker (test/edge-modules.test.ts).
 */

/** The queue a command waits in: bcrypt work apart, so cheap commands never wait behind it. */
export type Lane = 'password' | 'session';

export interface CommandContract<K extends string = string, P extends string = string> extends CommandRoute<P> {
  /** The command's name: its WebSocket message type and its queue kind. */
  kind: K;
  /**
   * The body as the edge validates it, REST and WebSocket alike. `frame` (when given) is the same
   * fields as a plain object, for the WebSocket frame schema: a refined object cannot be extended.
   */
  body: z.ZodObject;
  frame?: z.ZodObject;
  lane: Lane;
  /** Its success is a session's token pair: a socket that sent it is bound to that session. */
  signsIn?: true;
  /**
   * The edge answers 202 as soon as it passes admission, before the worker: an answer that must not
   * tell, in body, status or time, whether the address has an account.
   */
  answeredAtEdge?: true;
  /**
   * The body field holding a new password, checked by the edge against the password policy
   * (`weak_password`) before any work; `emailField`: the address the policy compares it with.
   */
  newPassword?: { field: string; emailField?: string };
  /**
   * A sign-in with a password: counted on the login limits and passed through the credential
   * stuffing gate at the edge before it is published.
   */
  passwordSignIn?: true;
}

export interface FeatureContract<K extends string = string, P extends string = string, E extends string = string> {
  /** The feature's folder under features/. */
  name: string;
  commands: readonly CommandContract<K, P>[];
  /** The audit event types the feature writes (GET /auth/events). */
  auditEvents: readonly E[];
  /** Its handlers and the drivers they need; loaded by a worker only. */
  worker?: WorkerPart;
  /** Its OpenAPI path items; loaded by the account API only. */
  openapi?: OpenApiPart;
}

/**
 * A feature's worker part, loaded: `worker: (): WorkerModule => import('./worker/index.ts')`. The
 * return type is written out, so that the contract's type never waits on the handlers' (which refer to
 * the protocol built from the contract).
 */
export type WorkerModule = Promise<{ default: FeatureWorker }>;
/** A feature's OpenAPI part, loaded (written out as WorkerModule is). */
export type OpenApiModule = Promise<{ default: FeatureOpenApi }>;
export type WorkerPart = () => WorkerModule;
export type OpenApiPart = () => OpenApiModule;

type Schema = Record<string, unknown>;

/** The helpers every feature's OpenAPI part is given (services/api/src/openapi/edge-paths.ts). */
export interface OpenApiHelpers {
  /** JSON Schema of a zod schema, as a request (`input`) or an answer (`output`). */
  jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema;
  /** An answer with a JSON body. */
  json(schema: z.ZodType, description: string): unknown;
  /** An error answer (the contract's error object). */
  error(description: string): unknown;
  /** The answers every command route may give: 400, 413, 429, 500, 503, 504. */
  commonErrors: Record<number, unknown>;
  /** A token pair, as login answers it. */
  tokenPair: z.ZodType;
  /** The requestBody of a command, from its contract (`required`: fields documented as required). */
  requestBody(kind: string, required?: readonly string[]): Schema;
  /** `security` of a Bearer route. */
  bearer: readonly Schema[];
  /**
   * The path item of a command anyone may POST (login-like): its body, X-Connection-Id and the 202
   * of a deferred answer, the common errors, then the command's own answers.
   */
  openCommand(kind: string, doc: { summary: string; success: Record<number, unknown>; errors: Record<number, unknown>; required?: readonly string[] }): Schema;
}

/** A feature's OpenAPI path items, by path. */
export type FeatureOpenApi = (h: OpenApiHelpers) => Record<string, Schema>;

/** Keeps a feature's command kinds, paths and audit events as literal types, so that the list yields their unions. */
export function defineFeature<const K extends string, const P extends string, const E extends string>(
  feature: FeatureContract<K, P, E>,
): FeatureContract<K, P, E> {
  return feature;
}
