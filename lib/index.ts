export * from './chat-stack';
export * from './connection-table';
export * from './custom-domain';
export * from './grip-api';
export * from './grip-settings';
export * from './handler-function';
export * from './native-websocket-api';
export * from './transport-alarms';
