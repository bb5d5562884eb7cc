import type { CommandRoute } from '../routes.ts';

/** How each of the feature's commands is reached (zod-free: the SDK builds its table from it too). */
export const EMAIL_ROUTES = {
  email_verify: { rest: { method: 'POST', path: '/auth/email/verify', body: 'json' }, auth: 'none' },
  email_resend: { rest: { method: 'POST', path: '/auth/email/resend', body: 'ignored' }, auth: 'session' },
} as const satisfies Record<string, CommandRoute>;
