#!/usr/bin/env node
/** The chat app: `npx cdk deploy` (GRIP), or pick the transport with `-c transport=native` or `-c transport=both`. */
import { App } from 'aws-cdk-lib';
import { ChatStack, ChatTransport } from '../lib';

const app = new App();
const transport = ChatTransport.of(String(app.node.tryGetContext('transport') ?? 'grip'));
new ChatStack(app, 'FaasGripChat', { transport, description: `faas-grip-cdk chat (${transport.name} transport)` });
