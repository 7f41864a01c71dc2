/**
 * Bundle entry of the chat example (lambda/examples/chat/chat-handler.ts) for both transports: importing the
 * native transport's and the durable channels' public modules puts them in the bundle (`assets/chat`).
 */
import '../native-api';
import '../auth-api';
import '../channels-api';

export { handler } from '../examples/chat/chat-handler';
