/**
 * Every secret the attack suite sent or received (passwords, refresh and access tokens, bcrypt
 * hashes, private keys), so that the last case can look for each one in every line the processes
 * printed. Strings shorter than 12 characters are not kept: they would match ordinary words.
 */
const secrets = new Set<string>();
const MIN_LENGTH = 12;
const SECRET_FIELDS = new Set(['password', 'refreshToken', 'accessToken', 'passwordHash', 'token']);

export function recordSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= MIN_LENGTH) secrets.add(value);
}

/** Records the values of secret fields anywhere in a request or answer body. */
export function recordSecretsIn(value: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 6) return;
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_FIELDS.has(key)) recordSecret(item);
    else recordSecretsIn(item, depth + 1);
  }
}

export function allSecrets(): string[] {
  return [...secrets];
}

/** The secrets that appear in any of the texts, with where. */
export function findLeaks(texts: ReadonlyArray<{ where: string; text: string }>, candidates = allSecrets()): { secret: string; where: string }[] {
  const leaks: { secret: string; where: string }[] = [];
  for (const { where, text } of texts) {
    for (const secret of candidates) if (text.includes(secret)) leaks.push({ secret: `${secret.slice(0, 6)}…(${secret.length} chars)`, where });
  }
  return leaks;
}
