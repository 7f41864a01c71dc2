/**
 * Bundle entry of the chat example for the GRIP transport only (`assets/chat-grip`): without the native transport's
 * module, the bundle carries no management API code; it carries the durable channels (the chat keeps history). A
 * GripApi without a handler of its own runs it.
 */
import '../auth-api';
import '../channels-api';

export { handler } from '../examples/chat/chat-handler';
