/**
 * The chat handler of lambda/examples/chat/chat-handler.ts, bundled for the GRIP transport only (`assets/chat-grip`): scripts/bundle.js
 * replaces the native transport's modules with lambda/native/not-bundled.ts, so the bundle carries no DynamoDB or
 * management API code. A GripApi without a handler of its own runs this one.
 */
export { handler } from '../examples/chat/chat-handler';
