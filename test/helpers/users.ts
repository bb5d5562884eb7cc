import { randomBytes } from 'node:crypto';

export function newEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

export const PASSWORD = 'correct horse battery';
