import type { CommandRoute } from '../routes.ts';

/** How each of the feature's commands is reached (zod-free: the SDK builds its table from it too). */
export const DEVICE_ROUTES = {
  device_approve: { rest: { method: 'POST', path: '/auth/devices/approve', body: 'json' }, auth: 'session' },
  device_deny: { rest: { method: 'POST', path: '/auth/devices/deny', body: 'json' }, auth: 'session' },
  device_verify: { rest: { method: 'POST', path: '/auth/devices/verify', body: 'json' }, auth: 'none' },
  device_complete: { rest: { method: 'POST', path: '/auth/devices/complete', body: 'json' }, auth: 'none' },
} as const satisfies Record<string, CommandRoute>;
