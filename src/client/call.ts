import { isErrorName, XenstoreError } from '../protocol/errors.ts';
import { MessageType } from '../protocol/message-type.ts';
import { replyString } from './payload.ts';

/**
 * Send one request and resolve with the reply's payload; an ERROR reply rejects with XenstoreError,
 * its code the error name and its message naming `what` was asked (operation and arguments).
 */
export type Call = (type: number, txId: number, payload: Buffer, what: string) => Promise<Buffer>;

/** The payload of a reply, or the XenstoreError an ERROR reply stands for. */
export function checkReply(reply: { type: number; payload: Buffer }, what: string): Buffer {
	if (reply.type !== MessageType.ERROR) return reply.payload;
	const name = replyString(reply.payload);
	if (!isErrorName(name)) throw new Error(`${what}: daemon sent an unknown error ${JSON.stringify(name)}`);
	throw new XenstoreError(name, what);
}
