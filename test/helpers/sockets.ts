import WebSocket from 'ws';
import { AuthgateSocket, type WebSocketClass } from '@authgate/shared/client/socket-client';

export const NodeWebSocket = WebSocket as unknown as WebSocketClass;

export function openSocket(wsUrl: string): Promise<AuthgateSocket> {
  return AuthgateSocket.connect(wsUrl, NodeWebSocket);
}

/** A raw `ws` connection for frames the typed client never sends (binary, invalid UTF-8, oversized). */
export function openRaw(wsUrl: string): Promise<{ ws: WebSocket; frames: any[]; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const frames: any[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      if (frame.type === 'welcome') resolve({ ws, frames, closed });
    });
    ws.on('error', reject);
  });
}

/** Resolves with the next frame pushed after now, or rejects after `timeoutMs`. */
export function nextFrame(raw: { frames: any[] }, count: number, timeoutMs = 5_000): Promise<any> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (raw.frames.length >= count) {
        clearInterval(poll);
        resolve(raw.frames[count - 1]);
      } else if (Date.now() - start > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`no frame #${count} within ${timeoutMs} ms`));
      }
    }, 5);
  });
}
