import { sdkCommands } from '../../client/src/command-spec.ts';
import { DEVICE_ROUTES } from './routes.ts';
import type { SdkCore, Sent } from '../../client/src/core.ts';
import { AuthgateError } from '../../client/src/errors.ts';
import type { DeviceChallenge, Session, TokenPair } from '../../client/src/types.ts';

/** The feature's part of the client SDK: its commands, and finishing or deciding a new device's sign-in. */
export const DEVICE_COMMANDS = sdkCommands(DEVICE_ROUTES);

export function devicesSdk(core: SdkCore) {
  /** The challenge with its completeToken: given whole, or kept from the login that answered it. */
  const challengeOf = (challenge: DeviceChallenge | string): DeviceChallenge => {
    // Only the two fields: a whole login outcome may be given, and its other fields are not the request's.
    if (typeof challenge !== 'string') return { verificationId: challenge.verificationId, completeToken: challenge.completeToken };
    return { verificationId: challenge, completeToken: core.deviceChallenges.get(challenge) ?? '' };
  };

  /**
   * Sends a finishing step (complete, verify) with the completeToken, forgotten once the sign-in is in.
   * A refused one keeps it: asked again, a denied sign-in must still answer `device_denied`.
   */
  const finishing = async (challenge: DeviceChallenge | string, step: (body: DeviceChallenge) => Promise<Sent>): Promise<Sent> => {
    const body = challengeOf(challenge);
    const sent = await step(body);
    core.deviceChallenges.delete(body.verificationId);
    return sent;
  };

  /** A new device signs in once a session of the account approved it (409 `device_verification_pending` before). */
  const completeDevice = async (challenge: DeviceChallenge | string): Promise<Session> => {
    const { data } = await finishing(challenge, (body) => core.send('device_complete', { ...body }));
    return core.adopt(data as TokenPair, 'device_complete');
  };

  return {
    /**
     * A new device signs in with the code emailed for its waiting sign-in: the `device_verification_required`
     * outcome, or its verificationId when this client made that login (it kept the completeToken).
     */
    async verifyDevice(challenge: DeviceChallenge | string, code: string): Promise<Session> {
      const { data } = await finishing(challenge, (body) => core.send('device_verify', { ...body, code }));
      return core.adopt(data as TokenPair, 'device_verify');
    },

    completeDevice,

    /**
     * Waits until a session of the account approves (then signs in) or denies (`device_denied`) this
     * device: live by `device.approved`/`device.denied` on the connection that made the login, and by
     * asking every `pollMs` in case that connection dropped meanwhile.
     */
    waitForDeviceApproval(challenge: DeviceChallenge | string, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<Session> {
      const pollMs = options.pollMs ?? 5_000;
      const { verificationId } = challengeOf(challenge);
      return new Promise((resolve, reject) => {
        let done = false;
        const cleanups: (() => void)[] = [];
        const finish = (err: unknown, session?: Session) => {
          if (done) return;
          done = true;
          for (const cleanup of cleanups) cleanup();
          if (session) resolve(session);
          else reject(err);
        };
        // One completion in flight at a time: the server hands the sign-in to one request and answers any
        // other `not_found`, which must not beat the winner's answer back here. An ask that comes while one
        // is out (the event, a poll) is made once that one comes back pending.
        let asking = false;
        let askAgain = false;
        const tryComplete = () => {
          if (asking) {
            askAgain = true;
            return;
          }
          asking = true;
          completeDevice(challenge).then(
            (session) => finish(undefined, session),
            (err: unknown) => {
              asking = false;
              if (!(err instanceof AuthgateError && err.code === 'device_verification_pending')) return finish(err);
              if (askAgain && !done) {
                askAgain = false;
                tryComplete();
              }
            },
          );
        };
        cleanups.push(
          core.on('device.approved', (data) => {
            if (data.verificationId === verificationId) tryComplete();
          }),
          core.on('device.denied', (data) => {
            if (data.verificationId === verificationId) finish(new AuthgateError({ code: 'device_denied', message: 'the sign-in was denied' }, 403));
          }),
        );
        const poll = setInterval(tryComplete, pollMs);
        cleanups.push(() => clearInterval(poll));
        if (options.signal) {
          const onAbort = () => finish(options.signal?.reason ?? new Error('aborted'));
          if (options.signal.aborted) onAbort();
          options.signal.addEventListener('abort', onAbort);
          cleanups.push(() => options.signal?.removeEventListener('abort', onAbort));
        }
      });
    },

    approveDevice(verificationId: string): Promise<void> {
      return core.authed('device_approve', { verificationId }).then(() => undefined);
    },

    denyDevice(verificationId: string): Promise<void> {
      return core.authed('device_deny', { verificationId }).then(() => undefined);
    },
  };
}
