/**
 * Thrown by a handler that finds its command was run already (the same requestId) and that whoever
 * ran it answers: the consumer then delivers nothing, as for a duplicate it had found by itself.
 */
export class AlreadyAnswered extends Error {
  constructor() {
    super('this command was run already');
    this.name = 'AlreadyAnswered';
  }
}
