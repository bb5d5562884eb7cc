import { devicesFeature } from './devices/contract.ts';
import { emailFeature } from './email/contract.ts';
import { defineFeature } from './feature.ts';
import { OIDC_AUDIT_EVENTS } from './oidc/paths.ts';
import { passkeysFeature } from './passkeys/contract.ts';
import { passwordFeature } from './password/contract.ts';
import { secondFactorFeature } from './second-factor/contract.ts';
import { sessionsFeature } from './sessions/contract.ts';
import { STUFFING_AUDIT_EVENTS } from './stuffing/contract.ts';

/**
 * The features of authgate, in order: the one list from which the protocol tables
 * (shared/src/protocol.ts), the edge's routes and WebSocket dispatch, the worker's handlers and the
 * OpenAPI paths are built. A new capability is a folder under features/ and a line here.
 *
 * The OpenID provider and the stuffing defence send no commands through the queue: the first is
 * mounted in the account API (features/oidc/api), the second sits in the edge's admission and the
 * login handler (features/stuffing); they are listed for their audit events.
 */
export const FEATURES = [
  passwordFeature,
  sessionsFeature,
  devicesFeature,
  emailFeature,
  secondFactorFeature,
  passkeysFeature,
  defineFeature<never, never, (typeof OIDC_AUDIT_EVENTS)[number]>({ name: 'oidc', commands: [], auditEvents: OIDC_AUDIT_EVENTS }),
  defineFeature<never, never, (typeof STUFFING_AUDIT_EVENTS)[number]>({ name: 'stuffing', commands: [], auditEvents: STUFFING_AUDIT_EVENTS }),
] as const;

export type FeatureCommand = (typeof FEATURES)[number]['commands'][number];
export type CommandKind = FeatureCommand['kind'];
/** The REST route of each command, as the edge registers it (and labels its metrics). */
export type CommandPath = FeatureCommand['rest']['path'];

/** The audit event types the features write (shared/src/events/schema.ts adds the account's and the mailer's). */
export type FeatureAuditEvent = (typeof FEATURES)[number]['auditEvents'][number];
export const FEATURE_AUDIT_EVENTS: readonly FeatureAuditEvent[] = FEATURES.flatMap((feature): readonly FeatureAuditEvent[] => feature.auditEvents);

/** Every command of every feature, in the list's order. */
export const COMMANDS: readonly FeatureCommand[] = FEATURES.flatMap((feature): readonly FeatureCommand[] => feature.commands);
