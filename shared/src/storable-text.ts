import { AppError, type FieldIssue } from './errors.ts';

/**
 * Text that PostgreSQL cannot store, and so must never be accepted from a client:
 *
 * - U+0000 (NUL): neither `text` nor `jsonb` can hold it ("invalid byte sequence for encoding
 *   "UTF8": 0x00", "unsupported Unicode escape sequence");
 * - an unpaired UTF-16 surrogate (U+D800-U+DFFF not part of a pair): it has no UTF-8 form, so `jsonb`
 *   refuses it and `text` silently gets U+FFFD in its place.
 *
 * One such string accepted at the edge used to reach the audit writer, whose batch INSERT then failed
 * again on every retry: no later event of any account was stored. With the `u` flag a well-formed
 * pair is one code point, so `\p{Surrogate}` matches only a surrogate that stands alone.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what this looks for
const UNSTORABLE = /[\u0000\p{Surrogate}]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const UNSTORABLE_ALL = /[\u0000\p{Surrogate}]/gu;
const REPLACEMENT = '\uFFFD';

/** Issues reported at most per request: enough to name the fields, bounded whatever the body holds. */
const MAX_ISSUES = 20;

export const UNSTORABLE_MESSAGE = 'must not contain U+0000 (NUL) or an unpaired surrogate';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** A path segment as it can be shown back to the client (a bad key is itself unstorable text). */
const shown = (key: string) => key.replace(UNSTORABLE_ALL, REPLACEMENT);

/**
 * Every string of a parsed JSON value (or of a query string or path parameters), object keys as well
 * as values, at any depth, that PostgreSQL could not store: one issue per field, path as in zod's
 * `details` (`data.a.0`). Iterative, so a value nested as deep as a body allows cannot exhaust the stack.
 */
export function unstorableTextIssues(value: unknown, root = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // `badKey`: an object key that is itself unstorable, reported in its place (document order).
  const stack: Array<{ value: unknown; path: string; badKey?: true }> = [{ value, path: root }];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value: item, path, badKey } = stack.pop()!;
    if (badKey) issues.push({ path, message: `field name ${UNSTORABLE_MESSAGE}` });
    else if (typeof item === 'string') {
      if (!isStorableText(item)) issues.push({ path: path || '(root)', message: UNSTORABLE_MESSAGE });
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push({ value: item[i], path: join(path, String(i)) });
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (isStorableText(key)) stack.push({ value: child, path: join(path, key) });
        else stack.push({ value: undefined, path: join(path, shown(key)), badKey: true });
      }
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** Throws `invalid_request` naming each field of `value` that holds text PostgreSQL could not store. */
export function refuseUnstorableText(value: unknown, what = 'request body'): void {
  const details = unstorableTextIssues(value);
  if (details.length > 0) throw new AppError('invalid_request', `${what} holds text that cannot be stored`, { details });
}

/**
 * A header value (User-Agent) made fit for an audit row: at most `maxLength` UTF-16 units, never cut
 * inside a surrogate pair, and any NUL or unpaired surrogate replaced by U+FFFD. Headers are shown
 * (sessions list, a new device's mail), not checked, so they are cleaned rather than refused.
 */
export function storableText(text: string, maxLength: number): string {
  let cut = text.length > maxLength ? text.slice(0, maxLength) : text;
  // A high surrogate left last by the cut lost its pair: drop it rather than store U+FFFD for half an emoji.
  if (cut.length < text.length && /[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.replace(UNSTORABLE_ALL, REPLACEMENT);
}
