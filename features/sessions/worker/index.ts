import { defineWorker } from '@authgate/worker/feature';
import { NEEDS } from './drivers.ts';
import { logout } from './logout.ts';
import { refresh } from './refresh.ts';
import { sessionRevoke, sessionsList, sessionsRevokeOthers } from './sessions.ts';

/**
 * The feature's handlers, by command kind (loaded by a worker only). The worker refuses to start when
 * one of the contract's commands has none here, or one here is no command of it (services/worker/src/feature.ts).
 */
export default defineWorker({
  needs: NEEDS,
  handlers: {
    refresh,
    logout,
    sessions_list: sessionsList,
    session_revoke: sessionRevoke,
    sessions_revoke_others: sessionsRevokeOthers,
  },
});
