import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SIGNING_ALG, type SigningKey } from '@authgate/shared/keys';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Signs RS256 access tokens with the KeyObject parsed once at start-up; `kid` names the key. */
export class AccessTokenSigner {
  constructor(
    private readonly key: SigningKey,
    private readonly settings: AccessTokenSettings,
  ) {}

  get ttlSeconds(): number {
    return this.settings.ttlSeconds;
  }

  async sign(userId: string, sid: string): Promise<string> {
    return new SignJWT({ sid })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.ttlSeconds}s`)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
  }
}

/**
 * Refresh tokens: `rt1.<sessionId>.<256 random bits>`. The session id lets one lookup find the
 * session; only the SHA-256 of the random part is stored. A plain hash suffices (no salt, no slow
 * KDF) because the input has 256 bits of entropy and cannot be guessed.
 */
const REFRESH_TOKEN = /^rt1\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export function newRefreshToken(sid: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `rt1.${sid}.${secret}`, hash: hashSecret(secret) };
}

export function parseRefreshToken(token: string): { sid: string; hash: string } | undefined {
  const match = REFRESH_TOKEN.exec(token);
  return match ? { sid: match[1]!, hash: hashSecret(match[2]!) } : undefined;
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
