export * from './job.ts';
export * from './types.ts';
export { AmqpMailQueue, type AmqpMailQueueOptions } from './amqp-queue.ts';
export { MemoryMailQueue } from './memory-queue.ts';
export { createMailQueue } from './factory.ts';
