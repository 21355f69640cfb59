/**
 * The floor: a Node.js server that speaks the xenstore socket framing and answers every request
 * at once with a fixed reply for its type, keeping no store at all. Whatever it costs per request
 * (socket I/O, event loop, framing) any xenstore daemon on Node.js pays too, so the benchmark shows
 * it beside the real daemons. The framing is written out here on purpose rather than taken from
 * src/protocol: the floor must not move when the daemon's code changes.
 *
 *   node bench/noop-server.ts <socket>
 */
import { rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { MessageType } from '../src/protocol/message-type.ts';

const HEADER = 16;
const PAYLOAD_MAX = 4096;

/** Replies libxenstore accepts for what the load generator sends; `OK` for everything else. */
const replies = new Map<number, Buffer>([
	[MessageType.READ, Buffer.from('value')],
	[MessageType.DIRECTORY, Buffer.from('n0\0n1\0n2\0')],
	[MessageType.TRANSACTION_START, Buffer.from('1\0')],
]);
const ok = Buffer.from('OK\0');

function answer(request: Buffer, at: number): Buffer {
	const payload = replies.get(request.readUInt32LE(at)) ?? ok;
	const reply = Buffer.allocUnsafe(HEADER + payload.length);
	request.copy(reply, 0, at, at + 12); // type, req_id and tx_id are echoed
	reply.writeUInt32LE(payload.length, 12);
	payload.copy(reply, HEADER);
	return reply;
}

function serve(socket: Socket): void {
	let pending: Buffer = Buffer.alloc(0);
	socket.on('data', (chunk: Buffer) => {
		const input: Buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
		const out: Buffer[] = [];
		let at = 0;
		while (input.length - at >= HEADER) {
			const len = input.readUInt32LE(at + 12);
			if (len > PAYLOAD_MAX) {
				socket.destroy();
				return;
			}
			if (input.length - at < HEADER + len) break;
			out.push(answer(input, at));
			at += HEADER + len;
		}
		pending = input.subarray(at);
		if (out.length) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
	});
	socket.on('error', () => socket.destroy());
}

const path = process.argv[2];
if (!path) {
	console.error('usage: node bench/noop-server.ts <socket>');
	process.exit(2);
}
rmSync(path, { force: true });
createServer(serve).listen(path);
process.on('SIGTERM', () => process.exit(0));
