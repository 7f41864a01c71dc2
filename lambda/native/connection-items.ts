import { ConnectionTableSchema as S } from '../contract';

/** A message sent during `$connect`, kept with the connection until it can be delivered. */
export type PendingMessage =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  | { readonly kind: 'close' };

/** A pending text or binary message (not a close). */
export type PendingSend = Exclude<PendingMessage, { kind: 'close' }>;

/** Key of a connection item: `CONN#<id>` / `CONN#<id>` (its own partition in the reverse index). */
export function connectionKey(connectionId: string): Record<string, string> {
  const key = S.connectionPrefix + connectionId;
  return { [S.partitionKey]: key, [S.sortKey]: key };
}

/** Key of a membership item: `CHAN#<channel>` / `CONN#<id>`. */
export function membershipKey(channel: string, connectionId: string): Record<string, string> {
  return { [S.partitionKey]: S.channelPrefix + channel, [S.sortKey]: S.connectionPrefix + connectionId };
}

/** The PostToConnection payload of a pending send. */
export function payloadOf(message: PendingSend): string | Uint8Array {
  return message.kind === 'text' ? message.text : message.bytes;
}

/** A pending message as stored in the connection item's `pending` list. */
export function pendingToItem(message: PendingMessage): Record<string, unknown> {
  return { ...message };
}

/** A pending message read back from the `pending` list. */
export function pendingFromItem(item: Record<string, unknown>): PendingMessage {
  if (item.kind === 'binary') return { kind: 'binary', bytes: new Uint8Array(item.bytes as Uint8Array) };
  if (item.kind === 'close') return { kind: 'close' };
  return { kind: 'text', text: String(item.text ?? '') };
}
