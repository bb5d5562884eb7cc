import { ERROR_STATUS } from '../errors.ts';

const CODES: ReadonlySet<string> = new Set(Object.keys(ERROR_STATUS));

/** The `outcome` label: `ok`, or one of the contract's error codes (docs/errors.md); anything else is `other` (bounded). */
export const outcomeLabel = (code: string | undefined): string => (code === undefined ? 'ok' : CODES.has(code) ? code : 'other');
