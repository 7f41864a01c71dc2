#!/usr/bin/env node
/**
 * The chat app: `npx cdk deploy` deploys both transports (`-c transport=grip` or `-c transport=native` picks one),
 * with the alarms of TransportAlarms on `-c alarms=true`.
 */
import { App } from 'aws-cdk-lib';
import { ChatStack, ChatTransport } from '../lib';

const app = new App();
const props = ChatStack.propsFromContext(app);
const transport = props.transport ?? ChatTransport.BOTH;
new ChatStack(app, 'FaasGripChat', {
  ...props,
  transport,
  description: `faas-grip-cdk chat (${transport.name} transport)`,
});
