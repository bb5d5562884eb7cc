import type { ApiDrivers } from '@authgate/shared/composition';
import type { Config } from '@authgate/shared/config';
import { UserRepository } from '@authgate/shared/db/users';
import type { VerificationKeys } from '@authgate/shared/keys';
import type { Logger } from '@authgate/shared/logger';
import { AuthgateAccounts } from './authgate.ts';
import { loadOidcKeys } from './keys.ts';
import { OidcLayer } from './layer.ts';

export { OidcLayer } from './layer.ts';
export { isProviderPath, registerOidcRoutes } from './routes/index.ts';

/**
 * The OpenID layer of an account API process: its keys (this process only), its stores (chosen by the
 * composition module), the gateway's public keys and session store to believe a sign-in by. It
 * follows the gateway's revocations from before the API follows them, so that the sessions revoked
 * while this process was away (loaded at start) are ended too.
 */
export async function createOidcLayer(
  config: Config,
  deps: { drivers: ApiDrivers; verificationKeys: VerificationKeys; issuer: string | Promise<string>; log: Logger },
): Promise<{ layer: OidcLayer; unfollow: () => void }> {
  const { drivers } = deps;
  const accounts = new AuthgateAccounts({
    keys: deps.verificationKeys,
    rules: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeS: config.ACCESS_TOKEN_TTL_S },
    revocations: drivers.revocations,
    sessions: drivers.sessions,
    directory: drivers.directory,
    users: new UserRepository(drivers.db),
    sessionEnding: { sessions: drivers.sessions, revocations: drivers.revocations, directory: drivers.directory, live: drivers.live },
  });
  const layer = new OidcLayer({
    issuer: deps.issuer,
    staticClients: config.OIDC_CLIENTS as never,
    stores: drivers.oidc,
    accounts,
    keys: await loadOidcKeys(config),
    accessTokenTtlS: config.ACCESS_TOKEN_TTL_S,
    sessionTtlS: config.REFRESH_TOKEN_TTL_S,
    privateBackchannelOrigins: config.OIDC_PRIVATE_BACKCHANNEL_ORIGINS,
    events: drivers.events,
    log: deps.log,
  });
  const unfollow = layer.follow(drivers.revocations);
  return { layer, unfollow };
}
