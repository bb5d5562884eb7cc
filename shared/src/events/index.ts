export * from './schema.ts';
export * from './types.ts';
export { AmqpEventBus, type AmqpEventBusOptions } from './amqp-bus.ts';
export { MemoryEventBus } from './memory-bus.ts';
export { createEventBus } from './factory.ts';
