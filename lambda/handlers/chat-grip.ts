/**
 * Bundle entry of the chat example for the GRIP transport only (`assets/chat-grip`): without the native transport's
 * module, the bundle carries no DynamoDB or management API code. A GripApi without a handler of its own runs it.
 */
export { handler } from '../examples/chat/chat-handler';
