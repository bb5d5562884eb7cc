// k6 (since v0.50) also offers the timers of k6/timers as globals, as browsers and Node do; @types/k6
// declares them in k6/timers only. The shared WebSocket client uses the globals.
import type { TimeoutID } from 'k6/timers';

declare global {
  function setTimeout(callback: (...args: unknown[]) => void, delay: number): TimeoutID;
  function clearTimeout(id: TimeoutID): void;
}
