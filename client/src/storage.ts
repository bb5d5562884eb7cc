import type { Session } from './types.ts';

/**
 * Where the client keeps its session and device id. Tabs of one browser share a session only through
 * a shared store (`localStorageStore`): that is also what lets one tab reuse a refresh another tab made.
 */
export interface SessionStore {
  load(): Session | null;
  save(session: Session | null): void;
  deviceId(): string | null;
  saveDeviceId(id: string): void;
  /** Calls back when another tab changed the session (undefined where there is no such thing). */
  watch?(onChange: (session: Session | null) => void): () => void;
}

export function memoryStore(): SessionStore {
  let session: Session | null = null;
  let device: string | null = null;
  return {
    load: () => session,
    save: (s) => {
      session = s;
    },
    deviceId: () => device,
    saveDeviceId: (id) => {
      device = id;
    },
  };
}

/**
 * The browser's localStorage, under `prefix`. It is readable by any script of the page's origin: serve
 * the page with a strict Content-Security-Policy (the gateway's page does) so that no foreign script runs.
 */
/** The browser globals used here, typed minimally so that the SDK builds without the DOM library. */
interface BrowserGlobals {
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };
  addEventListener(type: 'storage', listener: (event: { key: string | null; newValue: string | null }) => void): void;
  removeEventListener(type: 'storage', listener: (event: { key: string | null; newValue: string | null }) => void): void;
}

export function localStorageStore(prefix = 'authgate'): SessionStore {
  const { localStorage } = globalThis as unknown as BrowserGlobals;
  const browser = globalThis as unknown as BrowserGlobals;
  const sessionKey = `${prefix}.session`;
  const deviceKey = `${prefix}.deviceId`;
  const parse = (text: string | null): Session | null => {
    if (!text) return null;
    try {
      return JSON.parse(text) as Session;
    } catch {
      return null;
    }
  };
  return {
    load: () => parse(localStorage.getItem(sessionKey)),
    save: (s) => {
      if (s) localStorage.setItem(sessionKey, JSON.stringify(s));
      else localStorage.removeItem(sessionKey);
    },
    deviceId: () => localStorage.getItem(deviceKey),
    saveDeviceId: (id) => localStorage.setItem(deviceKey, id),
    watch(onChange) {
      // The `storage` event fires in every other tab of the origin, never in the one that wrote.
      const listener = (event: { key: string | null; newValue: string | null }) => {
        if (event.key === sessionKey) onChange(parse(event.newValue));
      };
      browser.addEventListener('storage', listener);
      return () => browser.removeEventListener('storage', listener);
    },
  };
}
