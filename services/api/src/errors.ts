import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type FieldIssue } from '@authgate/shared/errors';
import type { ErrorAnswer } from './schemas.ts';

/** Fastify's own client errors (malformed JSON, wrong content type, ...) mapped onto the codes of docs/errors.md. */
function fromFastify(err: FastifyError): AppError {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details: FieldIssue[] = err.validation.map((issue) => ({
      path: issue.instancePath.slice(1).replaceAll('/', '.') || '(root)',
      message: issue.message ?? 'is invalid',
    }));
    return new AppError('invalid_request', `request ${err.validationContext ?? 'input'} is invalid`, { details });
  }
  const status = err.statusCode ?? 500;
  if (status === 404) return new AppError('not_found', 'no such route');
  if (status === 413) return new AppError('payload_too_large', 'request body is too large');
  if (status === 415) return new AppError('unsupported_media_type', 'request body must be sent as Content-Type: application/json');
  // Our own messages only: a framework's message may quote what the client sent.
  if (status >= 400 && status < 500)
    return new AppError('invalid_request', 'request is malformed', { details: [{ path: '(request)', message: err.code ?? 'is malformed' }] });
  return new AppError('internal', 'internal error');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorAnswer = { error: { ...error.toPayload(), requestId: String(request.id) } };
  if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
  // RFC 6750 §3: a protected resource names the scheme it expects.
  if (error.code === 'invalid_token') reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
  return reply.code(error.status).send(body);
}

/** Every error, thrown or framework-made, leaves in the shape of docs/errors.md; never a stack, never a secret. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = err instanceof AppError ? err : fromFastify(err);
    if (error.code === 'internal') request.log.error({ err }, 'request failed');
    return sendError(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new AppError('not_found', 'no such route')));
}
