import { randomBytes } from 'node:crypto';
import { AppError } from '@authgate/shared/errors';
import type { Command } from '@authgate/shared/protocol';
import { originOf } from '@authgate/worker/audit';
import type { Ctx, Handler } from './drivers.ts';
import { mailSecurityNotice } from '@authgate/worker/email/security-notice';
import { authOf } from '@authgate/worker/commands/auth-of';
import { signIn } from '@authgate/worker/commands/sign-in';
import { DEFAULT_PASSKEY_NAME, passkeyBodySchemas, type PasskeyKind } from '../contract.ts';
import {
  authenticationOptions,
  challengeOfResponse,
  PasskeyRefusal,
  type RefusalReason,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
} from './ceremonies.ts';

/** 256 random bits (the contract asks for 128 at least): the handle of a pending sign-in's challenge. */
const CHALLENGE_ID_BYTES = 32;

/** One answer for every refused ceremony, whatever the check: the client learns nothing about which failed. */
const notVerified = () => new AppError('invalid_credentials', 'the passkey could not be verified');

/** PUBLIC_URL with an IP host: said at once, before the browser fails with an obscure SecurityError. */
function requireAvailable(ctx: Ctx): void {
  const { unavailable } = ctx.passkeys.relyingParty;
  if (unavailable) throw new AppError('forbidden', unavailable);
}

/** The signed-in account a command acts for: a valid token of an account since deleted is no token. */
async function accountOf(command: Command, ctx: Ctx) {
  const user = await ctx.users.findById(authOf(command).sub);
  if (!user) throw new AppError('invalid_token', 'access token is invalid or expired');
  return user;
}

/** The store holds all the pending challenges it may (memory's bound): the options are asked again later. */
const storeFull = () => new AppError('rate_limited', 'too many passkey ceremonies are pending, retry later', { retryAfter: 60 });

/** Registration, step 1: options for navigator.credentials.create(), with a challenge bound to this account. */
const passkeyRegisterOptions: Handler = async (command, ctx) => {
  requireAvailable(ctx);
  const pk = ctx.passkeys;
  const user = await accountOf(command, ctx);
  const [handle, existing] = await Promise.all([pk.credentials.userHandleOf(user.id), pk.credentials.descriptorsOf(user.id)]);
  const options = await registrationOptions(pk.relyingParty, { email: user.email, handle }, existing);
  if (!(await pk.challenges.put('register', options.challenge, { challenge: options.challenge, userId: user.id }, pk.challengeTtlMs))) throw storeFull();
  return { status: 200, data: options };
};

/**
 * Registration, step 2. Checks, in order: the challenge the response answers is pending, made for this
 * account, and is taken (once, whatever follows); the ceremony verifies (ceremonies.ts); the credential
 * id is registered to nobody yet. Then the account is told: audit event, live event, notice mail.
 */
const passkeyRegister: Handler = async (command, ctx) => {
  const { response, name } = passkeyBodySchemas.passkey_register.parse(command.body);
  const pk = ctx.passkeys;
  const user = await accountOf(command, ctx);
  const refused = (reason: RefusalReason, detail: string) => {
    ctx.audit.emit({ action: 'passkey.register_rejected', ...originOf(command), userId: user.id, reason });
    ctx.log.info({ requestId: command.requestId, userId: user.id, reason, detail }, 'passkey registration refused');
    return notVerified();
  };
  const challenge = challengeOfResponse(response);
  const pending = challenge === undefined ? undefined : await pk.challenges.take('register', challenge);
  if (!pending || pending.userId !== user.id) throw refused('challenge', 'challenge unknown, used, expired or of another account');
  let credential;
  try {
    credential = await verifyRegistration(pk.relyingParty, response, pending.challenge);
  } catch (err) {
    if (err instanceof PasskeyRefusal) throw refused(err.reason, err.detail);
    throw err;
  }
  const passkeyName = name ?? DEFAULT_PASSKEY_NAME;
  const added = await pk.credentials.add({ ...credential, userId: user.id, name: passkeyName });
  if (!added) throw refused('already_registered', 'credential id already registered');
  const at = added.createdAt.toISOString();
  ctx.audit.emit({ action: 'passkey.registered', ...originOf(command), userId: user.id, sessionId: authOf(command).sid });
  await tell(ctx, command, user, 'passkey.registered', { id: credential.id, name: passkeyName, at });
  return { status: 201, data: { id: credential.id, name: passkeyName, createdAt: at } };
};

const passkeysList: Handler = async (command, ctx) => {
  return { status: 200, data: await ctx.passkeys.credentials.listOf(authOf(command).sub) };
};

/** Removes one of the account's own passkeys (another account's is as unknown as a made-up id). */
const passkeyDelete: Handler = async (command, ctx) => {
  const { passkeyId: id } = passkeyBodySchemas.passkey_delete.parse(command.body);
  const auth = authOf(command);
  const removed = await ctx.passkeys.credentials.remove(auth.sub, id);
  if (!removed) throw new AppError('not_found', 'no such passkey');
  ctx.audit.emit({ action: 'passkey.removed', ...originOf(command), userId: auth.sub, sessionId: auth.sid });
  await tell(ctx, command, { id: auth.sub }, 'passkey.removed', { id, name: removed.name, at: new Date().toISOString() });
  return { status: 204 };
};

/** Sign-in, step 1: options for a discoverable navigator.credentials.get(), no account named. */
const passkeyLoginOptions: Handler = async (_command, ctx) => {
  requireAvailable(ctx);
  const pk = ctx.passkeys;
  const options = await authenticationOptions(pk.relyingParty);
  const challengeId = randomBytes(CHALLENGE_ID_BYTES).toString('base64url');
  if (!(await pk.challenges.put('login', challengeId, { challenge: options.challenge }, pk.challengeTtlMs))) throw storeFull();
  return { status: 200, data: { challengeId, options } };
};

/**
 * Sign-in, step 2. Checks, in order: the challengeId names a pending challenge, taken once before
 * anything else (a refused attempt uses it up); the credential is registered (a removed one is not);
 * the response's userHandle is its owner's handle (the library does not check it); the ceremony
 * verifies (origin, rp id, user presence and verification, signature, counter: ceremonies.ts); the
 * counter is stored compare-and-set (two sign-ins that saw one counter cannot both pass). Only then:
 * a disabled account is `account_disabled`, and the sign-in goes on after the second factor and the
 * new-device check, which a verified passkey satisfies (the gates say so: `satisfiedBy`), so only the
 * verified-email step is asked. The session's `amr` is `hwk`; the device, if named, is known from now on.
 */
const passkeyLogin: Handler = async (command, ctx) => {
  const { challengeId, response, deviceId } = passkeyBodySchemas.passkey_login.parse(command.body);
  const pk = ctx.passkeys;
  const refused = (reason: RefusalReason, detail: string, userId?: string) => {
    ctx.audit.emit({ action: 'login.failed', ...originOf(command), deviceId, ...(userId ? { userId } : {}), reason: `passkey_${reason}` });
    ctx.log.info({ requestId: command.requestId, userId, reason, detail }, 'passkey sign-in refused');
    return notVerified();
  };
  const pending = await pk.challenges.take('login', challengeId);
  if (!pending) throw refused('challenge', 'challenge unknown, used or expired');
  const stored = await pk.credentials.find(response.id);
  if (!stored) throw refused('unknown_credential', 'no passkey has this credential id');
  const handle = await pk.credentials.findUserHandle(stored.userId);
  const presented = response.response.userHandle;
  if (!handle || !presented || !Buffer.from(presented, 'base64url').equals(Buffer.from(handle))) {
    throw refused('user_handle', 'the userHandle does not name the credential owner', stored.userId);
  }
  let verified;
  try {
    verified = await verifyAuthentication(pk.relyingParty, response, pending.challenge, stored);
  } catch (err) {
    if (err instanceof PasskeyRefusal) throw refused(err.reason, err.detail, stored.userId);
    throw err;
  }
  if (!(await pk.credentials.recordUse(stored.id, stored.counter, verified.newCounter, verified.backedUp))) {
    throw refused('counter', 'the stored counter changed meanwhile (a concurrent sign-in), or the passkey was removed', stored.userId);
  }
  const user = await ctx.users.findById(stored.userId);
  if (!user) throw refused('unknown_credential', 'the passkey owner no longer exists');
  if (user.disabledAt) {
    ctx.audit.emit({ action: 'login.failed', ...originOf(command), userId: user.id, deviceId, reason: 'account_disabled' });
    throw new AppError('account_disabled', 'this account is disabled');
  }
  return signIn({ command, user, deviceId, amr: ['hwk'] }, ctx);
};

/**
 * The account hears of a passkey added or removed: its open sockets (its other sessions among them) by
 * a live event, its mailbox by a notice (capped per hour: SECURITY_NOTICE_MAILS_PER_HOUR). What is done
 * stays done if either fails: each failure is a log line.
 */
async function tell(
  ctx: Ctx,
  command: Command,
  account: { id: string; email?: string },
  event: 'passkey.registered' | 'passkey.removed',
  data: { id: string; name: string; at: string },
): Promise<void> {
  await ctx.live
    .publish({ userId: account.id, event, data: { ...data, sessionId: authOf(command).sid } })
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, `${event} event not published`));
  await mailSecurityNotice(ctx, event === 'passkey.registered' ? 'passkey_registered' : 'passkey_removed', account, originOf(command));
}

export const passkeyHandlers: Record<PasskeyKind, Handler> = {
  passkey_register_options: passkeyRegisterOptions,
  passkey_register: passkeyRegister,
  passkeys_list: passkeysList,
  passkey_delete: passkeyDelete,
  passkey_login_options: passkeyLoginOptions,
  passkey_login: passkeyLogin,
};
