export { AuthgateClient, type ClientOptions, createClient } from './client.ts';
export { AuthgateError, type ContractErrorCode, ERROR_STATUS, type ErrorBody, type ErrorCode, type FieldIssue, isAuthgateError } from './errors.ts';
export type { WebSocketConstructor, WebSocketLike } from './socket.ts';
export { localStorageStore, memoryStore, type SessionStore } from './storage.ts';
export type * from './types.ts';
export { type PasskeyInfo, passkeysSupported } from '../../features/passkeys/sdk.ts';
export { type ChallengeProgress, type ProofOfWork, type SolvedChallenge, solveProofOfWork } from '../../features/stuffing/sdk.ts';
