/**
 * Bundle entry of the chat example (lambda/examples/chat/chat-handler.ts) for both transports: importing the
 * native transport's public module puts it in the bundle (`assets/chat`).
 */
import '../native-api';

export { handler } from '../examples/chat/chat-handler';
