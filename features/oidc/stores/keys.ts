/**
 * The provider's Redis keys. Each carries a hash tag `{...}`: Redis Cluster hashes only what lies
 * between the first `{` and the next `}`, so keys that one command or one MULTI touches share a tag:
 *
 *   {P:<Model>:<id>}                the entity, a HASH {payload, consumed?}
 *   {P:Grant:<grantId>}             the Grant entity itself              ┐ one slot: a grant and
 *   {P:Grant:<grantId>}:members     SET of the entity keys of that grant ┘ the index of its tokens
 *   {P:Session:uid:<uid>}           STRING → current Session id (the id rotates, the uid does not)
 *   {P:DeviceCode:userCode:<code>}  STRING → DeviceCode id
 *   {P:sid:<authgateSid>}           SET of provider Session uids signed in with that authgate session ┐ one slot
 *   {P:sid:<authgateSid>}:ending    the claim of the process ending them                              ┘
 *   {P:suid:<uid>}                  STRING → the authgate sid of a provider session
 *
 * A method may take several operations (find by uid: GET the index, then HGETALL the entity), but
 * each one stays inside one slot, so the same code runs on one Redis and on a Redis Cluster.
 */
export class KeyScheme {
  constructor(readonly prefix: string) {
    safe(prefix);
  }

  entity(model: string, id: string): string {
    return `{${this.prefix}:${model}:${safe(id)}}`;
  }

  grantMembers(grantId: string): string {
    return `{${this.prefix}:Grant:${safe(grantId)}}:members`;
  }

  sessionUid(uid: string): string {
    return `{${this.prefix}:Session:uid:${safe(uid)}}`;
  }

  userCode(code: string): string {
    return `{${this.prefix}:DeviceCode:userCode:${safe(code)}}`;
  }

  authgateSid(sid: string): string {
    return `{${this.prefix}:sid:${safe(sid)}}`;
  }

  endingClaim(sid: string): string {
    return `${this.authgateSid(sid)}:ending`;
  }

  uidToSid(uid: string): string {
    return `{${this.prefix}:suid:${safe(uid)}}`;
  }
}

/**
 * Ids the provider makes are nanoid/base64url, but a token or a user code a client presents comes from
 * outside: a brace would let its sender choose the slot or break the tag. Such an id is never stored
 * (a write of one throws) and never found (the adapter answers nothing before making a key).
 */
export function isTaggable(part: string): boolean {
  return !part.includes('{') && !part.includes('}');
}

function safe(part: string): string {
  if (!isTaggable(part)) throw new TypeError('identifier must not contain { or }');
  return part;
}

/** The slot of a key, as Redis Cluster computes it (CRC16/XMODEM of the hash tag, mod 16384). */
export function keySlot(key: string): number {
  let tagged = key;
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) tagged = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
