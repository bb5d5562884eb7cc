/**
 * The edge's shutdown state, in one place. While draining, every HTTP answer closes its connection
 * (a proxy then drops the connections it pools to this node one by one instead of sending more
 * requests on them) and each WebSocket is closed with 1001 once it has nothing in flight. HTTP commands
 * are counted from their arrival until they are answered or pending, so a stopping edge does not exit
 * under a request it took. One process runs at most one edge: answers read this one instance.
 */
export class Lifecycle {
  draining = false;
  private accepting = 0;
  private lastAcceptedAt = 0;

  /** Counts an HTTP command from its arrival; the returned function ends the count. */
  accept(): () => void {
    this.accepting++;
    this.lastAcceptedAt = Date.now();
    return () => {
      this.accepting--;
    };
  }

  /** Whether a command is being taken in, or one came in less than `quietMs` ago. */
  takingIn(quietMs: number): boolean {
    return this.accepting > 0 || Date.now() - this.lastAcceptedAt < quietMs;
  }
}

export const lifecycle = new Lifecycle();
