import { defineWorker } from '@authgate/worker/feature';
import { NEEDS } from './drivers.ts';
import { login } from './login.ts';
import { passwordChange } from './password-change.ts';
import { passwordForgot } from './password-forgot.ts';
import { passwordReset } from './password-reset.ts';
import { register } from './register.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default defineWorker({
  needs: NEEDS,
  handlers: {
    register,
    login,
    password_forgot: passwordForgot,
    password_reset: passwordReset,
    password_change: passwordChange,
  },
});
