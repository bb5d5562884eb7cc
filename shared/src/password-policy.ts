import { readFileSync } from 'node:fs';
import { BCRYPT_MAX_BYTES } from './protocol.ts';
import { AppError } from './errors.ts';

export const PASSWORD_MIN_CHARS = 8;

/** The list of common passwords (scripts/generate-common-passwords.mjs), lower-cased, read once. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#')),
);

const LEET: Readonly<Record<string, string>> = { '@': 'a', '4': 'a', '0': 'o', '3': 'e', $: 's', '5': 's', '1': 'i', '!': 'i', '7': 't' };
const EDGE_NON_LETTERS = /^[^\p{L}]+|[^\p{L}]+$/gu;
/** Words that say what this service is: a password made of them is the first an attacker tries here. */
const CONTEXT_WORDS = ['authgate'];

/**
 * NIST SP 800-63B policy: at least 8 characters, no composition rules, and a password known to
 * attackers is refused. bcrypt reads only the first 72 bytes, so a longer password is refused outright
 * (invalid_request) rather than silently truncated; 64 ASCII characters fit comfortably.
 *
 * `email`, when known, adds the account's own name to what is refused.
 */
export function checkNewPassword(password: string, email?: string): void {
  if ([...password].length < PASSWORD_MIN_CHARS) {
    throw new AppError('weak_password', `password must be at least ${PASSWORD_MIN_CHARS} characters`);
  }
  if (Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES) {
    throw new AppError('invalid_request', 'password is too long', {
      details: [{ path: 'password', message: `must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8` }],
    });
  }
  if (isGuessable(password, email)) {
    throw new AppError('weak_password', 'password is too common or too easy to guess; a few unrelated words make a strong one');
  }
}

/**
 * Compared as an attacker's dictionary would try it: lower-cased, as given, with the digits and
 * symbols around it stripped ("Summer2024!" is "summer"), and with leetspeak undone ("p@ssw0rd").
 */
export function isGuessable(password: string, email?: string): boolean {
  const lower = password.toLowerCase();
  const core = lower.replace(EDGE_NON_LETTERS, '');
  const forms = new Set([lower, core, deleet(lower), deleet(lower).replace(EDGE_NON_LETTERS, ''), deleet(core)]);
  const context = [...CONTEXT_WORDS];
  if (email) {
    const address = email.trim().toLowerCase();
    const local = address.split('@')[0] ?? '';
    context.push(address, local, local.replace(EDGE_NON_LETTERS, ''));
  }
  for (const form of forms) {
    if (form.length >= 3 && COMMON_PASSWORDS.has(form)) return true;
    if (form.length >= 3 && context.includes(form)) return true;
  }
  return isRepetitiveOrSequential(lower);
}

function deleet(text: string): string {
  return text.replace(/[@40$5317!]/g, (c) => LEET[c] ?? c);
}

/** "aaaaaaaa", "abababab", "abcabcabc", "12345678", "hgfedcba": a short unit repeated, or a straight run. */
function isRepetitiveOrSequential(text: string): boolean {
  const chars = [...text];
  for (let unit = 1; unit <= 4 && unit * 2 <= chars.length; unit++) {
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  const codes = chars.map((c) => c.codePointAt(0)!);
  const step = codes[1]! - codes[0]!;
  return Math.abs(step) === 1 && codes.every((code, i) => i === 0 || code - codes[i - 1]! === step);
}
