import type { OpenApiHelpers } from '../feature.ts';

type Schema = Record<string, unknown>;

/** The feature's routes as OpenAPI path items (docs/rest.md is their prose). */
export default function emailPaths(h: OpenApiHelpers): Record<string, Schema> {
  const { error } = h;
  const common = { 413: h.commonErrors[413], 429: h.commonErrors[429], 503: h.commonErrors[503], 504: h.commonErrors[504], 400: h.commonErrors[400] };
  return {
    '/auth/email/verify': {
      post: {
        tags: ['auth'],
        summary: 'Verify the account email with the token of a verification mail',
        description: 'Served by the edge, answered by a worker. The token (from `<PUBLIC_URL>/verify-email#token=...`) works once, for 24 hours.',
        operationId: 'edge_email_verify',
        requestBody: h.requestBody('email_verify'),
        responses: { ...common, 204: { description: 'The address is verified' }, 401: error('`invalid_token`: unknown, expired, used or malformed') },
      },
    },
    '/auth/email/resend': {
      post: {
        tags: ['auth'],
        summary: 'Mail a new verification link',
        description: 'Served by the edge, answered by a worker. At most EMAIL_RESEND_PER_HOUR per account per hour. An address already verified gets no mail.',
        operationId: 'edge_email_resend',
        security: h.bearer,
        responses: {
          ...common,
          202: { description: 'A mail is queued (or the address is verified already)' },
          401: error('`invalid_token`'),
          429: error('`rate_limited`: this account asked too often (or this IP); `Retry-After`'),
        },
      },
    },
  };
}
