import { errors } from 'oidc-provider';

/** What oidc-provider stores: one JSON object per entity (its example adapter's shape). */
export type Payload = Record<string, unknown> & {
  jti?: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

/** The storage interface oidc-provider calls, one instance per model name. */
export interface ProviderAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type AdapterFactory = (model: string) => ProviderAdapter;

/** Models whose entities belong to a grant: revoking the grant removes every one of them. */
export const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

/** Models that are used once. */
export const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'PushedAuthorizationRequest',
]);

/**
 * oidc-provider reads `consumed` after `find` and only then calls `consume`, so two concurrent
 * requests with one refresh token (or one code) would both pass its own check. Both adapters make
 * `consume` atomic and refuse the second caller with the provider's own error, rendered as a plain
 * 400 `invalid_grant`, instead of issuing two successors.
 */
export function alreadyConsumed(model: string): Error {
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequest('request_uri already used');
  return new errors.InvalidGrant(`${model} already consumed`);
}

export function epochTime(): number {
  return Math.floor(Date.now() / 1000);
}
