/**
 * The channel names the protocol and the example handlers accept from clients: short, and safe in `Grip-Channel`
 * and in logs. `:` separates a namespace, as in the per-user channels `user:<sub>` of the channel rules.
 */

/** What a valid channel name is, in the words the handlers' refusals use. */
export const CHANNEL_NAME_RULE = "1 to 64 letters, digits, '-', '_', '.' or ':'";

const CHANNEL_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** True for a channel name the examples accept: 1 to 64 letters, digits, `-`, `_`, `.` or `:`. */
export function isValidChannel(channel: string): boolean {
  return CHANNEL_NAME.test(channel);
}
