/** Bundle entry of the chat example (lambda/examples/chat/chat-handler.ts). */
export { handler } from '../examples/chat/chat-handler';
