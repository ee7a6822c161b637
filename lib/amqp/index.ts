export { AmqpConnection, amqpError, amqpOptions, type AmqpConnectOptions } from './connection';
export { AmqpControl, nodeQueue, PIDBOX_EXCHANGE, REPLY_EXCHANGE, replyQueue, type ControlMethods } from './control';
export { readAmqpQueueDepths, type AmqpQueueDepths } from './depth';
export { publishAmqpTasks } from './publish';
