import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { AppError } from '@authgate/shared/errors';
import type { Logger } from '@authgate/shared/logger';
import type { SessionRevocations } from '@authgate/shared/security/revocations';
import type { InteractionDetails } from '../contract.ts';
import { generateClientId, generateSecret, hashSecret, withoutSecret, type ClientMetadata, type ClientStore } from '../stores/clients.ts';
import type { SessionLinks } from '../stores/links.ts';
import type { AdapterFactory } from '../stores/types.ts';
import type { AuthgateAccounts } from './authgate.ts';
import { OidcAudit } from './audit.ts';
import type { OidcKeys } from './keys.ts';
import { buildProvider, hashStaticClients, isFirstParty } from './provider.ts';
import { OidcSessionEnding } from './session-end.ts';

/** The provider's storage, chosen by the composition module: Redis or in-process, clients in the database. */
export interface OidcStores {
  adapter: AdapterFactory;
  links: SessionLinks;
  clients: ClientStore;
}

export interface OidcLayerOptions {
  /** PUBLIC_URL; in the all-in-one with PORT=0 it is known once the edge listens (setIssuer). */
  issuer: string | Promise<string>;
  staticClients: ClientMetadata[];
  stores: OidcStores;
  accounts: AuthgateAccounts;
  keys: OidcKeys;
  accessTokenTtlS: number;
  sessionTtlS: number;
  privateBackchannelOrigins: readonly string[];
  events: ConstructorParameters<typeof OidcAudit>[0];
  log: Logger;
}

type InteractionRecord = Awaited<ReturnType<Provider['interactionDetails']>>;
type MissingGrants = { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
type Request = { raw: IncomingMessage; ip: string; userAgent: string | undefined };

/** Methods of authentication at the token endpoint that need no secret: such a client gets none. */
const NO_SECRET_METHODS = new Set(['none', 'private_key_jwt']);
/** Clock difference allowed between the worker that signed a sign-in and this process. */
const CLOCK_SKEW_S = 5;

/**
 * The OpenID Connect layer of the account API: oidc-provider with authgate's storage, keys and
 * accounts, the interaction that finishes a sign-in with an authgate access token, the administrators'
 * clients, and the end of OpenID sessions when authgate sessions end. The provider is built on first
 * use, once the issuer is known.
 */
export class OidcLayer {
  readonly audit: OidcAudit;
  readonly ending: OidcSessionEnding;
  private built: Promise<Provider> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: OidcLayerOptions) {
    this.log = options.log.child({ component: 'oidc' });
    this.audit = new OidcAudit(options.events, this.log);
    this.ending = new OidcSessionEnding(() => this.provider(), options.stores.links, this.audit, this.log);
  }

  /** Checks OIDC_CLIENTS now, so that a bad entry stops the start instead of failing its first sign-in. */
  async start(): Promise<void> {
    const provider = await this.provider();
    for (const client of hashStaticClients(this.options.staticClients)) {
      try {
        await provider.Client.validate(client as never);
      } catch (err) {
        const reason = err instanceof errors.OIDCProviderError ? (err.error_description ?? err.message) : (err as Error).message;
        throw new Error(`OIDC_CLIENTS: client ${JSON.stringify(client.client_id)} is invalid: ${reason}`);
      }
    }
  }

  /** Every session end the gateway broadcasts reaches here (see session-end.ts for why this signal). */
  follow(revocations: Pick<SessionRevocations, 'onRevoked'>): () => void {
    return revocations.onRevoked((sid) => this.ending.sessionEnded(sid));
  }

  provider(): Promise<Provider> {
    this.built ??= Promise.resolve(this.options.issuer).then((issuer) => this.build(issuer));
    return this.built;
  }

  private build(issuer: string): Provider {
    const { stores, accounts } = this.options;
    const provider = buildProvider({
      issuer,
      staticClients: this.options.staticClients,
      adapter: stores.adapter,
      clients: stores.clients,
      links: stores.links,
      accounts,
      keys: this.options.keys,
      accessTokenTtlS: this.options.accessTokenTtlS,
      sessionTtlS: this.options.sessionTtlS,
      privateBackchannelOrigins: this.options.privateBackchannelOrigins,
      log: this.log,
    });
    this.watch(provider);
    return provider;
  }

  /** The provider's events: audit records of sign-ins and logouts, log lines of failures (never a token). */
  private watch(provider: Provider): void {
    const backchannel = new WeakMap<object, Map<string, 'delivered' | 'failed'>>();
    const outcomes = (ctx: object) => {
      let found = backchannel.get(ctx);
      if (!found) backchannel.set(ctx, (found = new Map()));
      return found;
    };
    provider.on('authorization.success', (ctx) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return;
      this.audit.signedIn({
        userId: session.accountId,
        sid: session.authorizations?.[client.clientId]?.sid,
        clientId: client.clientId,
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || undefined,
      });
    });
    provider.on('backchannel.success', (ctx, client) => {
      if (ctx) outcomes(ctx).set(client.clientId, 'delivered');
    });
    provider.on('backchannel.error', (ctx, err, client) => {
      if (ctx) outcomes(ctx).set(client.clientId, 'failed');
      this.log.warn({ clientId: client.clientId, reason: (err as Error).message }, 'back-channel logout not delivered');
    });
    // RP-initiated logout ("Yes, sign me out" destroyed the provider session): the authgate session
    // behind it ends too, as a sign-out does; its end then ends any other OpenID session of it.
    provider.on('end_session.success', (ctx) => {
      const session = ctx.oidc.session as (typeof ctx.oidc.session & { destroyed?: boolean }) | undefined;
      const origin = { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
      const told = backchannel.get(ctx);
      if (!session?.accountId) return;
      const clientIds = session.destroyed ? Object.keys(session.authorizations ?? {}) : ctx.oidc.client ? [ctx.oidc.client.clientId] : [];
      this.options.stores.links
        .sidOf(session.uid)
        .then(async (sid) => {
          for (const clientId of clientIds)
            this.audit.logout({ userId: session.accountId!, sid, clientId, via: 'rp_initiated', backchannel: told?.get(clientId) ?? 'none', ...origin });
          if (sid && session.destroyed) await this.options.accounts.endSession(sid);
        })
        .catch((err: unknown) => this.log.error({ err }, 'the authgate session of an RP-initiated logout could not be ended'));
    });
    for (const event of ['server_error', 'grant.error', 'introspection.error', 'revocation.error', 'userinfo.error'] as const) {
      (provider as unknown as NodeJS.EventEmitter).on(event, (_ctx: unknown, err: Error & { error?: string; status?: number }) => {
        if (event === 'server_error' || (err.status ?? 500) >= 500) this.log.error({ err: { name: err.name, message: err.message } }, `oidc ${event}`);
      });
    }
  }

  /** The Koa app of the provider, for the mount's hijacked requests. */
  async callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await (await this.provider()).callback()(req, res);
  }

  // --- the interaction (routes/interaction.ts) ----------------------------------------------------

  private async interaction(uid: string, req: IncomingMessage, res: ServerResponse): Promise<InteractionRecord> {
    let interaction: InteractionRecord;
    try {
      interaction = await (await this.provider()).interactionDetails(req, res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound)
        throw new AppError('not_found', 'this sign-in has expired or belongs to another browser; start again from the application');
      throw err;
    }
    // The check: the cookie's interaction is the one the path names (the cookie is scoped to it anyway).
    if (interaction.uid !== uid) throw new AppError('not_found', 'this sign-in has expired or belongs to another browser; start again from the application');
    return interaction;
  }

  async details(uid: string, req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails> {
    const interaction = await this.interaction(uid, req, res);
    const provider = await this.provider();
    const clientId = String(interaction.params.client_id);
    const client = await provider.Client.find(clientId);
    const prompt = interaction.prompt.name === 'login' ? 'login' : 'consent';
    const missing = interaction.prompt.details as MissingGrants;
    const loginHint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint.slice(0, 254) : undefined;
    return {
      uid: interaction.uid,
      prompt,
      client: { id: clientId, name: client?.clientName ?? clientId, firstParty: isFirstParty(client) },
      scopes: prompt === 'consent' ? [...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()] : [],
      freshSignIn: prompt === 'login' && (interaction.prompt.reasons.includes('login_prompt') || interaction.prompt.reasons.includes('max_age')),
      ...(loginHint ? { loginHint } : {}),
    };
  }

  /**
   * A first-party client's consent needs no one: granted here, and the browser goes straight on.
   * Undefined when the interaction needs the page.
   */
  async consentWithoutPage(uid: string, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
    const interaction = await this.interaction(uid, req, res);
    if (interaction.prompt.name !== 'consent') return undefined;
    const provider = await this.provider();
    if (!isFirstParty(await provider.Client.find(String(interaction.params.client_id)))) return undefined;
    const grantId = await this.grantMissing(provider, interaction);
    return provider.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /**
   * The sign-in: the page hands over an access token of the session it signed in (by any method the
   * gateway offers). Checked by AuthgateAccounts.signIn (signature, revocation, live session); the
   * account must be enabled; for prompt=login and max_age, the sign-in must be fresh, because the
   * provider believes whatever time it is given.
   */
  async login(uid: string, accessToken: string, request: Request, res: ServerResponse): Promise<string> {
    const interaction = await this.interaction(uid, request.raw, res);
    if (interaction.prompt.name !== 'login')
      throw new AppError('invalid_request', 'this sign-in does not ask for a login now', {
        details: [{ path: 'accessToken', message: 'not expected at this step' }],
      });
    const signIn = await this.options.accounts.signIn(accessToken);
    const user = await this.options.accounts.user(signIn.sub);
    if (!user) throw new AppError('invalid_token', 'access token is invalid or expired');
    if (user.disabled) throw new AppError('account_disabled', 'this account has been disabled by an administrator');
    const now = Math.floor(Date.now() / 1000);
    if (interaction.prompt.reasons.includes('login_prompt') && signIn.authTime < (interaction.iat ?? now) - CLOCK_SKEW_S)
      throw new AppError('invalid_token', 'the application asks for a new sign-in: sign in again');
    const maxAge = interaction.params.max_age === undefined ? undefined : Number(interaction.params.max_age);
    if (maxAge !== undefined && Number.isFinite(maxAge) && now - signIn.authTime > maxAge + CLOCK_SKEW_S)
      throw new AppError('invalid_token', 'the application asks for a more recent sign-in: sign in again');
    const provider = await this.provider();
    return provider.interactionResult(
      request.raw,
      res,
      // `authgate.sid` is read by loadExistingGrant (provider.ts): the ID token's sid is the authgate session.
      { login: { accountId: signIn.sub, amr: signIn.amr, ts: signIn.authTime, remember: true }, authgate: { sid: signIn.sid } },
      { mergeWithLastSubmission: false },
    );
  }

  async consent(uid: string, decision: 'allow' | 'deny', req: IncomingMessage, res: ServerResponse): Promise<string> {
    const interaction = await this.interaction(uid, req, res);
    if (interaction.prompt.name !== 'consent')
      throw new AppError('invalid_request', 'this sign-in does not ask for consent now', {
        details: [{ path: 'decision', message: 'not expected at this step' }],
      });
    const provider = await this.provider();
    if (decision === 'deny') {
      return provider.interactionResult(
        req,
        res,
        { error: 'access_denied', error_description: 'the person denied the request' },
        { mergeWithLastSubmission: false },
      );
    }
    const grantId = await this.grantMissing(provider, interaction);
    return provider.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** Records consent to exactly what the provider said is missing, in the client's grant. */
  private async grantMissing(provider: Provider, interaction: InteractionRecord): Promise<string> {
    const accountId = interaction.session?.accountId;
    if (!accountId) throw new AppError('not_found', 'this sign-in has expired; start again from the application');
    const clientId = String(interaction.params.client_id);
    const grant = (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ?? new provider.Grant({ accountId, clientId });
    const missing = interaction.prompt.details as MissingGrants;
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    return grant.save();
  }

  // --- administrators' clients (routes/admin.ts) --------------------------------------------------

  /** Validates RFC 7591 metadata as the provider would, stores it with a new client_id (and a secret's digest); the secret is returned once. */
  async createClient(input: Record<string, unknown>): Promise<Record<string, unknown> & { client_id: string; client_secret?: string }> {
    const provider = await this.provider();
    const metadata: ClientMetadata = { ...input, client_id: generateClientId(), client_id_issued_at: Math.floor(Date.now() / 1000) };
    const method = typeof input.token_endpoint_auth_method === 'string' ? input.token_endpoint_auth_method : 'client_secret_basic';
    const secret = NO_SECRET_METHODS.has(method) ? undefined : generateSecret();
    if (secret) {
      metadata.client_secret = hashSecret(secret);
      metadata.client_secret_expires_at = 0;
    }
    try {
      await provider.Client.validate(metadata as never);
    } catch (err) {
      if (err instanceof errors.OIDCProviderError)
        throw new AppError('invalid_request', 'the client metadata is invalid', {
          details: [{ path: err.error ?? '(body)', message: err.error_description ?? err.message }],
        });
      throw err;
    }
    if (!(await this.write(() => this.options.stores.clients.insert(metadata)))) throw new AppError('overloaded', 'client id collision, retry');
    return { ...withoutSecret(metadata), client_id: metadata.client_id, ...(secret ? { client_secret: secret } : {}) };
  }

  async listClients(): Promise<Array<Record<string, unknown> & { client_id: string; source: 'OIDC_CLIENTS' | 'admin' }>> {
    const stored = await this.write(() => this.options.stores.clients.list());
    return [
      ...this.options.staticClients.map((client) => ({ ...withoutSecret(client), client_id: client.client_id, source: 'OIDC_CLIENTS' as const })),
      ...stored.map((client) => ({ ...withoutSecret(client), client_id: client.client_id, source: 'admin' as const })),
    ];
  }

  async deleteClient(clientId: string): Promise<void> {
    if (this.options.staticClients.some((client) => client.client_id === clientId))
      throw new AppError('forbidden', 'this client is declared in OIDC_CLIENTS: remove it there');
    if (!(await this.write(() => this.options.stores.clients.delete(clientId)))) throw new AppError('not_found', 'no such client');
  }

  private async write<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      this.log.warn({ err }, 'OpenID client store failed');
      throw new AppError('overloaded', 'client store unavailable, retry later');
    }
  }

  async stop(): Promise<void> {
    await this.ending.stop();
    await this.audit.flush();
  }
}
